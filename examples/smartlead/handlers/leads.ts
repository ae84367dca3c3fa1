// Lead tools: leads in campaigns, the account's lead list, categories and the global blocklist.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AccountState, CampaignLead, Lead } from "../state.ts";
import { fail, notFound, ok, timestamp, type ToolHandlers } from "./common.ts";

export const LEAD_CATEGORIES = [
  { id: 1, name: "Interested", sentiment: "positive" },
  { id: 2, name: "Meeting Request", sentiment: "positive" },
  { id: 3, name: "Information Request", sentiment: "neutral" },
  { id: 4, name: "Out Of Office", sentiment: "neutral" },
  { id: 5, name: "Wrong Person", sentiment: "neutral" },
  { id: 6, name: "Not Interested", sentiment: "negative" },
  { id: 7, name: "Do Not Contact", sentiment: "negative" },
] as const;

const MAX_LEADS_PER_CALL = 100;

interface NewLead {
  email: string;
  first_name?: string;
  last_name?: string;
  company?: string;
  title?: string;
  phone?: string;
}

export const leadHandlers: ToolHandlers = {
  smartlead_list_leads_by_campaign: (args, { state }) => {
    const campaignId = args.number("campaign_id");
    if (!state.campaigns.has(campaignId)) return notFound("Campaign", campaignId);
    const status = args.optionalString("status")?.toUpperCase();
    const search = args.optionalString("search")?.toLowerCase();
    const rows = state.campaignLeads
      .filter((entry) => entry.campaign_id === campaignId && (status === undefined || entry.status === status))
      .map((entry) => ({ ...leadView(state, entry.lead_id), status: entry.status, category: entry.category, added_at: entry.added_at }))
      .filter((row) => search === undefined || JSON.stringify(row).toLowerCase().includes(search));
    const offset = args.optionalNumber("offset") ?? 0;
    const limit = args.optionalNumber("limit") ?? 100;
    return ok({ campaign_id: campaignId, total: rows.length, offset, limit, leads: rows.slice(offset, offset + limit) });
  },

  smartlead_fetch_lead_categories: () => ok({ categories: LEAD_CATEGORIES }),

  smartlead_fetch_lead_by_email: (args, { state }) => {
    const email = args.string("email").toLowerCase();
    const lead = [...state.leads.values()].find((candidate) => candidate.email === email);
    if (!lead) return fail(`Lead with email ${email} not found`);
    return ok({ ...lead, campaigns: campaignsOf(state, lead.id) });
  },

  smartlead_fetch_all_leads_from_account: (_args, { state }) => {
    const leads = [...state.leads.values()].map((lead) => ({ ...lead, campaigns: campaignsOf(state, lead.id) }));
    return ok({ total: leads.length, leads });
  },

  smartlead_add_leads_to_campaign: async (args, { state, reportProgress, pauseBetweenSteps, signal }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    if (campaign.status === "STOPPED" || campaign.status === "COMPLETED") return fail(`Campaign ${campaign.id} is ${campaign.status}; leads cannot be added`);
    const incoming = args.array<NewLead>("leads");
    if (incoming.length > MAX_LEADS_PER_CALL) return fail(`At most ${MAX_LEADS_PER_CALL} leads can be added per call, got ${incoming.length}`);
    const added: number[] = [];
    const skipped: { email: string; reason: string }[] = [];
    for (const [index, candidate] of incoming.entries()) {
      signal.throwIfAborted();
      const email = candidate.email.toLowerCase();
      const lead = findLeadByEmail(state, email);
      if (state.blocklist.some((entry) => entry.email === email)) skipped.push({ email, reason: "on the global blocklist" });
      else if (lead && isInCampaign(state, campaign.id, lead.id)) skipped.push({ email, reason: "already in this campaign" });
      else {
        const leadId = lead?.id ?? createLead(state, { ...candidate, email });
        state.campaignLeads.push({ campaign_id: campaign.id, lead_id: leadId, status: "STARTED", category: null, added_at: timestamp(state), messages: [] });
        added.push(leadId);
      }
      await reportProgress(index + 1, incoming.length, `processed ${index + 1} of ${incoming.length} leads`);
      await pauseBetweenSteps();
    }
    return ok({ ok: true, campaign_id: campaign.id, added_count: added.length, lead_ids: added, skipped_count: skipped.length, skipped });
  },

  smartlead_pause_lead_by_campaign: (args, { state }) => setLeadStatus(state, args.number("campaign_id"), args.number("lead_id"), "PAUSED"),

  smartlead_resume_lead_by_campaign: (args, { state }) => setLeadStatus(state, args.number("campaign_id"), args.number("lead_id"), "INPROGRESS"),

  smartlead_unsubscribe_lead_from_campaign: (args, { state }) =>
    setLeadStatus(state, args.number("campaign_id"), args.number("lead_id"), "UNSUBSCRIBED"),

  smartlead_delete_lead_by_campaign: (args, { state }) => {
    const found = findCampaignLead(state, args.number("campaign_id"), args.number("lead_id"));
    if ("error" in found) return found.error;
    state.campaignLeads = state.campaignLeads.filter((entry) => entry !== found.entry);
    return ok({ ok: true, deleted: true, campaign_id: found.entry.campaign_id, lead_id: found.entry.lead_id });
  },

  smartlead_unsubscribe_lead_from_all_campaigns: (args, { state }) => {
    const leadId = args.number("lead_id");
    if (!state.leads.has(leadId)) return notFound("Lead", leadId);
    const entries = state.campaignLeads.filter((entry) => entry.lead_id === leadId);
    for (const entry of entries) entry.status = "UNSUBSCRIBED";
    return ok({ ok: true, lead_id: leadId, unsubscribed_from: entries.map((entry) => entry.campaign_id) });
  },

  smartlead_add_lead_to_global_blocklist: (args, { state }) => {
    const email = args.string("email").toLowerCase();
    const alreadyBlocked = state.blocklist.some((entry) => entry.email === email);
    if (!alreadyBlocked) state.blocklist.push({ email, added_at: timestamp(state) });
    const lead = findLeadByEmail(state, email);
    const blockedIn = state.campaignLeads.filter((entry) => entry.lead_id === lead?.id);
    for (const entry of blockedIn) entry.status = "BLOCKED";
    return ok({ ok: true, email, already_blocked: alreadyBlocked, blocked_in_campaigns: blockedIn.map((entry) => entry.campaign_id) });
  },

  smartlead_fetch_leads_from_global_blocklist: (_args, { state }) => ok({ total: state.blocklist.length, blocklist: state.blocklist }),

  smartlead_update_lead_by_id: (args, { state }) => {
    const lead = state.leads.get(args.number("lead_id"));
    if (!lead) return notFound("Lead", args.number("lead_id"));
    const email = args.optionalString("email")?.toLowerCase();
    const owner = email === undefined ? undefined : findLeadByEmail(state, email);
    if (owner && owner.id !== lead.id) return fail(`Email ${email} already belongs to lead ${owner.id}`);
    for (const key of ["first_name", "last_name", "company", "title", "phone"] as const) {
      lead[key] = args.optionalString(key) ?? lead[key];
    }
    lead.email = email ?? lead.email;
    return ok({ ok: true, lead });
  },

  smartlead_update_lead_category: (args, { state }) => {
    const found = findCampaignLead(state, args.number("campaign_id"), args.number("lead_id"));
    if ("error" in found) return found.error;
    const wanted = args.string("category").toLowerCase();
    const category = LEAD_CATEGORIES.find((candidate) => candidate.name.toLowerCase() === wanted);
    if (!category) return fail(`Unknown lead category "${args.string("category")}"; see smartlead_fetch_lead_categories`);
    const previous = found.entry.category;
    found.entry.category = category.name;
    return ok({ ok: true, campaign_id: found.entry.campaign_id, lead_id: found.entry.lead_id, previous_category: previous, category: category.name });
  },
};

export function findCampaignLead(
  state: AccountState,
  campaignId: number,
  leadId: number,
): { entry: CampaignLead } | { error: CallToolResult } {
  if (!state.campaigns.has(campaignId)) return { error: notFound("Campaign", campaignId) };
  if (!state.leads.has(leadId)) return { error: notFound("Lead", leadId) };
  const entry = state.campaignLeads.find((candidate) => candidate.campaign_id === campaignId && candidate.lead_id === leadId);
  return entry ? { entry } : { error: fail(`Lead ${leadId} is not in campaign ${campaignId}`) };
}

function setLeadStatus(state: AccountState, campaignId: number, leadId: number, status: CampaignLead["status"]): CallToolResult {
  const found = findCampaignLead(state, campaignId, leadId);
  if ("error" in found) return found.error;
  const previous = found.entry.status;
  if (status === "INPROGRESS" && previous !== "PAUSED") return fail(`Lead ${leadId} is ${previous} in campaign ${campaignId}; only PAUSED leads can be resumed`);
  if (status === "PAUSED" && (previous === "UNSUBSCRIBED" || previous === "BLOCKED" || previous === "COMPLETED")) {
    return fail(`Lead ${leadId} is ${previous} in campaign ${campaignId} and cannot be paused`);
  }
  found.entry.status = status;
  return ok({ ok: true, campaign_id: campaignId, lead_id: leadId, previous_status: previous, status });
}

function leadView(state: AccountState, leadId: number): Partial<Lead> {
  return state.leads.get(leadId) ?? { id: leadId };
}

function campaignsOf(state: AccountState, leadId: number) {
  return state.campaignLeads.filter((entry) => entry.lead_id === leadId).map((entry) => ({ campaign_id: entry.campaign_id, status: entry.status, category: entry.category }));
}

function findLeadByEmail(state: AccountState, email: string): Lead | undefined {
  return [...state.leads.values()].find((lead) => lead.email === email);
}

function isInCampaign(state: AccountState, campaignId: number, leadId: number): boolean {
  return state.campaignLeads.some((entry) => entry.campaign_id === campaignId && entry.lead_id === leadId);
}

function createLead(state: AccountState, lead: NewLead): number {
  const id = state.nextId("lead");
  state.leads.set(id, {
    id, email: lead.email, first_name: lead.first_name ?? "", last_name: lead.last_name ?? "", company: lead.company ?? "",
    title: lead.title ?? "", phone: lead.phone ?? "", created_at: timestamp(state),
  });
  return id;
}

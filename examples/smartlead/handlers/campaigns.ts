// Campaign tools: lifecycle, schedule, settings, sequence and attached mailboxes.
import { defaultSchedule } from "../seed.ts";
import type { AccountState, Campaign, CampaignStatus, SequenceStep } from "../state.ts";
import {
  emailAccountView,
  fail,
  metricsInRange,
  notFound,
  ok,
  optionalRange,
  rates,
  timestamp,
  type ToolHandlers,
} from "./common.ts";

type StatusRequest = "START" | "PAUSED" | "STOPPED" | "COMPLETED";

export const campaignHandlers: ToolHandlers = {
  smartlead_create_campaign: (args, { state }) => {
    const clientId = args.optionalNumber("client_id") ?? null;
    if (clientId !== null && !state.clients.has(clientId)) return notFound("Client", clientId);
    const id = state.nextId("campaign");
    const now = timestamp(state);
    state.campaigns.set(id, {
      id, name: args.string("name"), client_id: clientId, status: "DRAFTED", created_at: now, updated_at: now,
      schedule: defaultSchedule(), settings: {}, sequence: [], email_account_ids: [],
      metrics: { sent: 0, opened: 0, clicked: 0, replied: 0, positive_replies: 0, bounced: 0, unsubscribed: 0 },
    });
    return ok({ ok: true, id, name: args.string("name"), status: "DRAFTED", created_at: now });
  },

  smartlead_get_campaign: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    return campaign ? ok(campaignView(state, campaign)) : notFound("Campaign", args.number("campaign_id"));
  },

  smartlead_list_campaigns: (args, { state }) => {
    const status = args.optionalString("status")?.toUpperCase();
    const matching = [...state.campaigns.values()].filter((campaign) => status === undefined || campaign.status === status);
    const offset = args.optionalNumber("offset") ?? 0;
    const limit = args.optionalNumber("limit") ?? 100;
    return ok({ total: matching.length, offset, limit, campaigns: matching.slice(offset, offset + limit).map((c) => campaignView(state, c)) });
  },

  smartlead_update_campaign_schedule: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const { campaign_id: _id, ...changes } = args.values;
    Object.assign(campaign.schedule, changes);
    campaign.updated_at = timestamp(state);
    return ok({ ok: true, campaign_id: campaign.id, schedule: campaign.schedule });
  },

  smartlead_update_campaign_settings: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const status = args.optionalString("status");
    if (status !== undefined) {
      const request = status === "active" ? "START" : (status.toUpperCase() as StatusRequest);
      const refusal = changeStatus(state, campaign, request);
      if (refusal !== undefined) return fail(refusal);
    }
    campaign.name = args.optionalString("name") ?? campaign.name;
    Object.assign(campaign.settings, args.optionalObject("settings") ?? {});
    campaign.updated_at = timestamp(state);
    return ok({ ok: true, campaign_id: campaign.id, name: campaign.name, status: campaign.status, settings: campaign.settings });
  },

  smartlead_update_campaign_status: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const previous = campaign.status;
    const refusal = changeStatus(state, campaign, args.string("status") as StatusRequest);
    if (refusal !== undefined) return fail(refusal);
    return ok({ ok: true, campaign_id: campaign.id, previous_status: previous, status: campaign.status, changed_at: campaign.updated_at });
  },

  smartlead_save_campaign_sequence: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const sequence = args.array<SequenceStep>("sequence");
    const numbers = sequence.map((step) => step.seq_number);
    if (new Set(numbers).size !== numbers.length) return fail("sequence: seq_number values must be unique");
    if (sequence.some((step) => step.seq_variants.length === 0)) return fail("sequence: every step needs at least one variant");
    campaign.sequence = structuredClone(sequence).sort((a, b) => a.seq_number - b.seq_number);
    campaign.updated_at = timestamp(state);
    return ok({ ok: true, campaign_id: campaign.id, steps: campaign.sequence.length });
  },

  smartlead_get_campaign_sequence: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    return campaign ? ok({ campaign_id: campaign.id, sequence: campaign.sequence }) : notFound("Campaign", args.number("campaign_id"));
  },

  smartlead_get_campaigns_with_analytics: (args, { state }) => {
    const range = optionalRange(args.optionalString("start_date"), args.optionalString("end_date"));
    if (typeof range === "string") return fail(range);
    const clientId = args.optionalString("client_id");
    const status = args.optionalString("status");
    const wanted = status === "DRAFT" ? "DRAFTED" : status;
    const campaigns = [...state.campaigns.values()]
      .filter((c) => clientId === undefined || String(c.client_id) === clientId)
      .filter((c) => wanted === undefined || c.status === wanted)
      .map((c) => {
        const metrics = metricsInRange(c.metrics, range);
        return { id: c.id, name: c.name, status: c.status, client_id: c.client_id, ...metrics, ...rates(metrics) };
      });
    return ok({ start_date: range.start, end_date: range.end, campaigns });
  },

  smartlead_delete_campaign: (args, { state }) => {
    const id = args.number("campaign_id");
    if (!state.campaigns.delete(id)) return notFound("Campaign", id);
    const before = state.campaignLeads.length;
    state.campaignLeads = state.campaignLeads.filter((entry) => entry.campaign_id !== id);
    for (const webhook of state.webhooks.values()) if (webhook.campaign_id === id) state.webhooks.delete(webhook.id);
    return ok({ ok: true, deleted: true, campaign_id: id, removed_leads: before - state.campaignLeads.length });
  },

  smartlead_export_campaign_data: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const rows = leadRows(state, campaign.id);
    const format = args.optionalString("format") ?? "json";
    if (format === "json") return ok({ campaign_id: campaign.id, format, row_count: rows.length, rows });
    const header = "email,first_name,last_name,company,status,category,sent,replied";
    const lines = rows.map((row) => [row.email, row.first_name, row.last_name, row.company, row.status, row.category ?? "", row.sent, row.replied].join(","));
    return ok({ campaign_id: campaign.id, format, row_count: rows.length, file_name: `campaign-${campaign.id}.${format === "excel" ? "xlsx" : "csv"}`, csv: [header, ...lines].join("\n") });
  },

  smartlead_fetch_all_campaigns_using_lead_id: (args, { state }) => {
    const leadId = args.number("lead_id");
    if (!state.leads.has(leadId)) return notFound("Lead", leadId);
    const campaigns = state.campaignLeads
      .filter((entry) => entry.lead_id === leadId)
      .map((entry) => ({ campaign_id: entry.campaign_id, name: state.campaigns.get(entry.campaign_id)?.name ?? null, lead_status: entry.status }));
    return ok({ lead_id: leadId, campaigns });
  },

  smartlead_list_email_accounts_per_campaign: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const accounts = campaign.email_account_ids.flatMap((id) => {
      const account = state.emailAccounts.get(id);
      return account ? [emailAccountView(account)] : [];
    });
    return ok({ campaign_id: campaign.id, email_accounts: accounts });
  },

  smartlead_add_email_account_to_campaign: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const accountId = args.number("email_account_id");
    if (!state.emailAccounts.has(accountId)) return notFound("Email account", accountId);
    const alreadyAttached = campaign.email_account_ids.includes(accountId);
    if (!alreadyAttached) campaign.email_account_ids.push(accountId);
    return ok({ ok: true, campaign_id: campaign.id, email_account_id: accountId, already_attached: alreadyAttached, email_account_ids: campaign.email_account_ids });
  },

  smartlead_remove_email_account_from_campaign: (args, { state }) => {
    const campaign = state.campaigns.get(args.number("campaign_id"));
    if (!campaign) return notFound("Campaign", args.number("campaign_id"));
    const accountId = args.number("email_account_id");
    if (!campaign.email_account_ids.includes(accountId)) {
      return fail(`Email account ${accountId} is not attached to campaign ${campaign.id}`);
    }
    campaign.email_account_ids = campaign.email_account_ids.filter((id) => id !== accountId);
    return ok({ ok: true, campaign_id: campaign.id, removed_email_account_id: accountId, email_account_ids: campaign.email_account_ids });
  },
};

/** Applies a status request the way SmartLead does; returns a refusal message or undefined. */
function changeStatus(state: AccountState, campaign: Campaign, request: StatusRequest): string | undefined {
  const current = campaign.status;
  let next: CampaignStatus;
  if (request === "START") {
    if (current === "STOPPED" || current === "COMPLETED") return `Campaign ${campaign.id} is ${current} and cannot be started again`;
    if (campaign.sequence.length === 0) return `Campaign ${campaign.id} has no sequence; save one before starting it`;
    if (campaign.email_account_ids.length === 0) return `Campaign ${campaign.id} has no email accounts attached`;
    next = "ACTIVE";
  } else if (request === "PAUSED") {
    if (current !== "ACTIVE" && current !== "PAUSED") return `Campaign ${campaign.id} is ${current}; only ACTIVE campaigns can be paused`;
    next = "PAUSED";
  } else {
    next = request;
  }
  campaign.status = next;
  campaign.updated_at = timestamp(state);
  return undefined;
}

function campaignView(state: AccountState, campaign: Campaign) {
  const leadCount = state.campaignLeads.filter((entry) => entry.campaign_id === campaign.id).length;
  return { ...campaign, lead_count: leadCount, sequence_steps: campaign.sequence.length };
}

function leadRows(state: AccountState, campaignId: number) {
  return state.campaignLeads
    .filter((entry) => entry.campaign_id === campaignId)
    .flatMap((entry) => {
      const lead = state.leads.get(entry.lead_id);
      if (!lead) return [];
      const sent = entry.messages.filter((m) => m.type === "SENT").length;
      const replied = entry.messages.filter((m) => m.type === "REPLY").length;
      return [{ lead_id: lead.id, email: lead.email, first_name: lead.first_name, last_name: lead.last_name, company: lead.company, status: entry.status, category: entry.category, sent, replied }];
    });
}

// Master-inbox tools: message history, replying to a lead and forwarding a lead's reply. Sending
// needs a campaign mailbox whose SMTP login works, which ties these tools to the reconnect tool.
import type { AccountState, Campaign, EmailAccount } from "../state.ts";
import { findCampaignLead } from "./leads.ts";
import { fail, ok, timestamp, type ToolHandlers } from "./common.ts";

export const inboxHandlers: ToolHandlers = {
  smartlead_fetch_lead_message_history: (args, { state }) => {
    const found = findCampaignLead(state, args.number("campaign_id"), args.number("lead_id"));
    if ("error" in found) return found.error;
    const history = found.entry.messages;
    return ok({ campaign_id: found.entry.campaign_id, lead_id: found.entry.lead_id, message_count: history.length, history });
  },

  smartlead_reply_to_lead_from_master_inbox: (args, { state }) => {
    const found = findCampaignLead(state, args.number("campaign_id"), args.number("lead_id"));
    if ("error" in found) return found.error;
    const { entry } = found;
    if (entry.status === "UNSUBSCRIBED" || entry.status === "BLOCKED") {
      return fail(`Lead ${entry.lead_id} is ${entry.status} in campaign ${entry.campaign_id}; no email was sent`);
    }
    const campaign = state.campaigns.get(entry.campaign_id) as Campaign;
    const sender = workingSender(state, campaign);
    if (!sender) return fail(`Campaign ${campaign.id} has no email account with a working SMTP login; reconnect failed accounts first`);
    const lead = state.leads.get(entry.lead_id);
    const lastSubject = entry.messages.at(-1)?.subject ?? campaign.name;
    const message = {
      type: "SENT" as const, from: sender.from_email, to: lead?.email ?? `lead-${entry.lead_id}`,
      subject: args.optionalString("subject") ?? `Re: ${lastSubject.replace(/^Re: /, "")}`, body: args.string("message"), sent_at: timestamp(state),
    };
    entry.messages.push(message);
    sender.daily_sent_count += 1;
    return ok({ ok: true, campaign_id: entry.campaign_id, lead_id: entry.lead_id, sent: message });
  },

  smartlead_forward_reply: (args, { state }) => {
    const found = findCampaignLead(state, args.number("campaign_id"), args.number("lead_id"));
    if ("error" in found) return found.error;
    const { entry } = found;
    const reply = entry.messages.findLast((message) => message.type === "REPLY");
    if (!reply) return fail(`Lead ${entry.lead_id} has not replied in campaign ${entry.campaign_id}; there is nothing to forward`);
    const campaign = state.campaigns.get(entry.campaign_id) as Campaign;
    const sender = workingSender(state, campaign);
    if (!sender) return fail(`Campaign ${campaign.id} has no email account with a working SMTP login; reconnect failed accounts first`);
    const note = args.optionalString("message");
    const forwarded = {
      type: "FORWARD" as const, from: sender.from_email, to: args.string("forward_to"), subject: `Fwd: ${reply.subject}`,
      body: note === undefined ? reply.body : `${note}\n\n---------- Forwarded message ----------\n${reply.body}`, sent_at: timestamp(state),
    };
    entry.messages.push(forwarded);
    return ok({ ok: true, campaign_id: entry.campaign_id, lead_id: entry.lead_id, forwarded });
  },
};

function workingSender(state: AccountState, campaign: Campaign): EmailAccount | undefined {
  return campaign.email_account_ids
    .map((id) => state.emailAccounts.get(id))
    .find((account): account is EmailAccount => account !== undefined && account.is_smtp_success);
}


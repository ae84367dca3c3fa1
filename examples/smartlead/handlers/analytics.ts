// Account-wide analytics tools. Most take a date range; all are aggregations of the account state,
// so numbers move when campaigns, leads or mailboxes change.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolArgs } from "../arguments.ts";
import type { AccountState, EmailAccount, EngagementMetrics } from "../state.ts";
import { countBy, fail, metricsByDay, metricsInRange, notFound, ok, parseDateRange, rates, sumMetrics, type DateRange, type ToolHandlers } from "./common.ts";

const TEAM = {
  id: "team-1",
  name: "Northwind Growth",
  members: [
    { name: "Maya Chen", email: "maya@northwind.example", role: "owner" },
    { name: "Leo Park", email: "leo@northwind.example", role: "member" },
  ],
};

type RangedReport = (state: AccountState, range: DateRange, args: ToolArgs) => Record<string, unknown>;

/** Wraps a report that needs start_date/end_date (and echoes timezone) in argument handling. */
function ranged(report: RangedReport) {
  return (args: ToolArgs, { state }: { state: AccountState }): CallToolResult => {
    const range = parseDateRange(args.string("start_date"), args.string("end_date"));
    if (typeof range === "string") return fail(range);
    return ok({ start_date: range.start, end_date: range.end, timezone: args.optionalString("timezone") ?? "Etc/GMT", ...report(state, range, args) });
  };
}

export const analyticsHandlers: ToolHandlers = {
  smartlead_analytics_campaign_list: (args, { state }) => {
    const clientIds = args.optionalString("client_ids")?.split(",").map((id) => Number(id.trim()));
    const campaigns = [...state.campaigns.values()]
      .filter((c) => clientIds === undefined || (c.client_id !== null && clientIds.includes(c.client_id)))
      .map((c) => ({ id: c.id, name: c.name, status: c.status, client_id: c.client_id }));
    return ok({ total: campaigns.length, campaigns });
  },

  smartlead_analytics_client_list: (_args, { state }) =>
    ok({ clients: [...state.clients.values()].map((client) => ({ id: client.id, name: client.name, campaign_count: campaignsOf(state, client.id).length })) }),

  smartlead_analytics_client_month_wise_count: (_args, { state }) => {
    const rows = [...state.clients.values()].map((client) => {
      const months: Record<string, { campaigns_created: number; emails_sent: number }> = {};
      for (const campaign of campaignsOf(state, client.id)) {
        const month = campaign.created_at.slice(0, 7);
        const row = (months[month] ??= { campaigns_created: 0, emails_sent: 0 });
        row.campaigns_created += 1;
        row.emails_sent += campaign.metrics.sent;
      }
      return { client_id: client.id, name: client.name, months };
    });
    return ok({ clients: rows });
  },

  smartlead_analytics_overall_stats_v2: ranged((state, range, args) => {
    const totals = accountMetrics(state, range);
    const full = args.optionalBoolean("full_data") ?? true;
    return { ...totals, ...rates(totals), ...(full ? { by_campaign: campaignRows(state, range) } : {}) };
  }),

  smartlead_analytics_day_wise_overall_stats: ranged((state, range) => ({ days: metricsByDay(sumMetrics(allMetrics(state)), range) })),

  smartlead_analytics_day_wise_positive_reply_stats: ranged((state, range) => ({
    days: metricsByDay(sumMetrics(allMetrics(state)), range).map((day) => ({ date: day.date, positive_replies: day.metrics.positive_replies })),
  })),

  smartlead_analytics_mailbox_name_wise_health_metrics: ranged((state, range) => ({
    mailboxes: mailboxRows(state, range).map(({ account, metrics }) => ({ email_account_id: account.id, from_email: account.from_email, health: health(account), ...metrics, ...rates(metrics) })),
  })),

  smartlead_analytics_mailbox_domain_wise_health_metrics: ranged((state, range) => ({
    domains: groupMailboxes(state, range, (account) => account.from_email.split("@")[1] ?? "unknown"),
  })),

  smartlead_analytics_mailbox_provider_wise_overall_performance: ranged((state, range) => ({
    providers: groupMailboxes(state, range, (account) => account.type),
  })),

  smartlead_analytics_campaign_overall_stats: ranged((state, range) => ({ campaigns: campaignRows(state, range) })),

  smartlead_analytics_client_overall_stats: ranged((state, range) => ({
    clients: [...state.clients.values()].map((client) => {
      const metrics = sumMetrics(campaignsOf(state, client.id).map((c) => metricsInRange(c.metrics, range)));
      return { client_id: client.id, name: client.name, ...metrics, ...rates(metrics) };
    }),
  })),

  smartlead_analytics_team_board_overall_stats: ranged((state, range) => ({ team: TEAM.name, members: TEAM.members.length, ...accountMetrics(state, range) })),

  smartlead_analytics_lead_overall_stats: ranged((state) => ({ total_leads: state.leads.size, by_status: countBy(state.campaignLeads.map((entry) => entry.status)) })),

  smartlead_analytics_lead_category_wise_response: ranged((state) => ({
    by_category: countBy(state.campaignLeads.filter((entry) => entry.category !== null).map((entry) => entry.category ?? "")),
  })),

  smartlead_analytics_campaign_leads_take_for_first_reply: ranged((state) => ({
    campaigns: campaignsWithSequence(state).map((c) => ({ campaign_id: c.id, name: c.name, first_replies_by_step: c.sequence.map((step, index) => ({ seq_number: step.seq_number, replies: Math.round(c.metrics.replied / (index + 2)) })) })),
  })),

  smartlead_analytics_campaign_follow_up_reply_rate: ranged((state) => ({
    campaigns: campaignsWithSequence(state).map((c) => ({ campaign_id: c.id, name: c.name, reply_rate_by_step: c.sequence.map((step, index) => ({ seq_number: step.seq_number, reply_rate: Math.round(rates(c.metrics).reply_rate * 10 / (index + 1)) / 10 })) })),
  })),

  smartlead_analytics_campaign_lead_to_reply_time: ranged((state) => ({
    campaigns: campaignsWithSequence(state).map((c) => ({ campaign_id: c.id, name: c.name, median_hours_to_reply: 18 + (c.id % 7) * 6 })),
  })),

  smartlead_analytics_campaign_response_stats: ranged((state, range) => ({
    campaigns: campaignRows(state, range).map(({ campaign_id, name, replied, positive_replies, bounced, reply_rate, positive_reply_rate, bounce_rate }) => ({ campaign_id, name, replied, positive_replies, bounced, reply_rate, positive_reply_rate, bounce_rate })),
  })),

  smartlead_analytics_campaign_status_stats: (_args, { state }) => ok({ total: state.campaigns.size, by_status: countBy([...state.campaigns.values()].map((c) => c.status)) }),

  smartlead_analytics_mailbox_overall_stats: (_args, { state }) => {
    const accounts = [...state.emailAccounts.values()];
    return ok({ total: accounts.length, by_health: countBy(accounts.map(health)), warmup_enabled: accounts.filter((a) => a.warmup.enabled).length, reconnects: accounts.reduce((n, a) => n + a.reconnect_count, 0) });
  },

  smartlead_get_team_details: (args, { state }) => {
    const teamId = args.optionalString("team_id") ?? TEAM.id;
    if (teamId !== TEAM.id) return notFound("Team", teamId);
    const totals = sumMetrics(allMetrics(state));
    return ok({ ...TEAM, campaign_count: state.campaigns.size, active_campaigns: [...state.campaigns.values()].filter((c) => c.status === "ACTIVE").length, ...totals });
  },
};

function campaignsOf(state: AccountState, clientId: number) {
  return [...state.campaigns.values()].filter((campaign) => campaign.client_id === clientId);
}

function campaignsWithSequence(state: AccountState) {
  return [...state.campaigns.values()].filter((campaign) => campaign.sequence.length > 0);
}

function allMetrics(state: AccountState): EngagementMetrics[] {
  return [...state.campaigns.values()].map((campaign) => campaign.metrics);
}

function accountMetrics(state: AccountState, range: DateRange): EngagementMetrics {
  return sumMetrics(allMetrics(state).map((metrics) => metricsInRange(metrics, range)));
}

function campaignRows(state: AccountState, range: DateRange) {
  return [...state.campaigns.values()].map((c) => {
    const metrics = metricsInRange(c.metrics, range);
    return { campaign_id: c.id, name: c.name, status: c.status, ...metrics, ...rates(metrics) };
  });
}

/** Each mailbox's share of the campaigns it sends for. */
function mailboxRows(state: AccountState, range: DateRange): { account: EmailAccount; metrics: EngagementMetrics }[] {
  return [...state.emailAccounts.values()].map((account) => {
    const shares = [...state.campaigns.values()]
      .filter((c) => c.email_account_ids.includes(account.id))
      .map((c) => {
        const metrics = metricsInRange(c.metrics, range);
        const scaled = { ...metrics };
        for (const key of Object.keys(scaled) as (keyof EngagementMetrics)[]) scaled[key] = Math.round(metrics[key] / c.email_account_ids.length);
        return scaled;
      });
    return { account, metrics: sumMetrics(shares) };
  });
}

function groupMailboxes(state: AccountState, range: DateRange, keyOf: (account: EmailAccount) => string) {
  const groups = new Map<string, { accounts: EmailAccount[]; metrics: EngagementMetrics[] }>();
  for (const { account, metrics } of mailboxRows(state, range)) {
    const group = groups.get(keyOf(account)) ?? { accounts: [], metrics: [] };
    group.accounts.push(account);
    group.metrics.push(metrics);
    groups.set(keyOf(account), group);
  }
  return [...groups].map(([key, group]) => {
    const metrics = sumMetrics(group.metrics);
    return { key, mailboxes: group.accounts.length, healthy: group.accounts.filter((a) => health(a) === "healthy").length, ...metrics, ...rates(metrics) };
  });
}

function health(account: EmailAccount): "healthy" | "smtp_failed" | "imap_failed" | "disconnected" {
  if (account.is_smtp_success && account.is_imap_success) return "healthy";
  if (!account.is_smtp_success && !account.is_imap_success) return "disconnected";
  return account.is_smtp_success ? "imap_failed" : "smtp_failed";
}

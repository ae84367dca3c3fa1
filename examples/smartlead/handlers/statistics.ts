// Per-campaign statistics and report downloads, derived from the seeded engagement totals.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AccountState, Campaign, EngagementMetrics } from "../state.ts";
import {
  countBy,
  emailAccountView,
  fail,
  metricsByDay,
  metricsInRange,
  notFound,
  ok,
  optionalRange,
  parseDateRange,
  rates,
  timestamp,
  type ToolHandlers,
} from "./common.ts";

const TIME_PERIOD_DAYS: Record<string, number> = { last_7_days: 7, last_30_days: 30, last_quarter: 91 };
const GROUPINGS = ["campaign", "user", "date", "type"] as const;

export const statisticsHandlers: ToolHandlers = {
  smartlead_get_campaign_statistics: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const leads = state.campaignLeads
        .filter((entry) => entry.campaign_id === campaign.id)
        .map((entry) => ({
          lead_id: entry.lead_id,
          lead_email: state.leads.get(entry.lead_id)?.email ?? null,
          lead_status: entry.status,
          lead_category: entry.category,
          emails_sent: entry.messages.filter((message) => message.type === "SENT").length,
          replied: entry.messages.some((message) => message.type === "REPLY"),
        }));
      return ok({ campaign_id: campaign.id, totals: campaign.metrics, lead_count: leads.length, leads });
    }),

  smartlead_get_campaign_statistics_by_date_range: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const range = parseDateRange(args.string("start_date"), args.string("end_date"));
      if (typeof range === "string") return fail(range);
      return ok({ campaign_id: campaign.id, start_date: range.start, end_date: range.end, timezone: args.optionalString("timezone") ?? "Etc/GMT", totals: metricsInRange(campaign.metrics, range) });
    }),

  smartlead_fetch_campaign_analytics_by_date_range: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const range = parseDateRange(args.string("start_date"), args.string("end_date"));
      if (typeof range === "string") return fail(range);
      const totals = metricsInRange(campaign.metrics, range);
      return ok({ campaign_id: campaign.id, start_date: range.start, end_date: range.end, totals, ...rates(totals), by_day: metricsByDay(campaign.metrics, range) });
    }),

  smartlead_get_campaign_top_level_analytics: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => ok({ campaign_id: campaign.id, name: campaign.name, status: campaign.status, ...campaign.metrics, ...rates(campaign.metrics) })),

  smartlead_get_campaign_top_level_analytics_by_date_range: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const range = parseDateRange(args.string("start_date"), args.string("end_date"));
      if (typeof range === "string") return fail(range);
      const totals = metricsInRange(campaign.metrics, range);
      return ok({ campaign_id: campaign.id, start_date: range.start, end_date: range.end, ...totals, ...rates(totals) });
    }),

  smartlead_get_campaign_sequence_analytics: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const range = optionalRange(args.optionalString("start_date"), args.optionalString("end_date"));
      if (typeof range === "string") return fail(range);
      const totals = metricsInRange(campaign.metrics, range);
      return ok({ campaign_id: campaign.id, start_date: range.start, end_date: range.end, steps: splitBySequenceStep(campaign, totals) });
    }),

  smartlead_get_campaign_lead_statistics: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const entries = state.campaignLeads.filter((entry) => entry.campaign_id === campaign.id);
      return ok({ campaign_id: campaign.id, total: entries.length, by_status: countBy(entries.map((entry) => entry.status)), by_category: countBy(entries.map((entry) => entry.category ?? "Uncategorized")) });
    }),

  smartlead_get_campaign_mailbox_statistics: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const count = campaign.email_account_ids.length;
      const mailboxes = campaign.email_account_ids.flatMap((id, index) => {
        const account = state.emailAccounts.get(id);
        if (!account) return [];
        const share = (value: number) => Math.floor(value / count) + (index < value % count ? 1 : 0);
        const { from_email, is_smtp_success, is_imap_success, reconnect_count } = emailAccountView(account);
        return [{ email_account_id: id, from_email, is_smtp_success, is_imap_success, reconnect_count, sent: share(campaign.metrics.sent), replied: share(campaign.metrics.replied), bounced: share(campaign.metrics.bounced) }];
      });
      return ok({ campaign_id: campaign.id, mailboxes });
    }),

  smartlead_download_campaign_data: (args, { state }) =>
    withCampaign(state, args.number("campaign_id"), (campaign) => {
      const downloadType = args.string("download_type");
      const format = args.optionalString("format") ?? "json";
      const data = downloadContent(state, campaign, downloadType);
      state.downloads.push({ campaign_id: campaign.id, download_type: downloadType, format, downloaded_at: timestamp(state) });
      const body = format === "csv" ? toCsv(data) : data;
      return ok({ campaign_id: campaign.id, download_type: downloadType, format, file_name: `campaign-${campaign.id}-${downloadType}.${format}`, data: body });
    }),

  smartlead_view_download_statistics: (args, { state }) => {
    const period = args.optionalString("time_period");
    const groupBy = args.optionalString("group_by") ?? "type";
    if (period !== undefined && TIME_PERIOD_DAYS[period] === undefined) return fail(`time_period must be one of ${Object.keys(TIME_PERIOD_DAYS).join(", ")}`);
    if (!(GROUPINGS as readonly string[]).includes(groupBy)) return fail(`group_by must be one of ${GROUPINGS.join(", ")}`);
    const since = period === undefined ? 0 : state.now().getTime() - (TIME_PERIOD_DAYS[period] ?? 0) * 86_400_000;
    const downloads = state.downloads.filter((download) => Date.parse(download.downloaded_at) >= since);
    const keyOf = (download: (typeof downloads)[number]) =>
      groupBy === "campaign" ? String(download.campaign_id) : groupBy === "date" ? download.downloaded_at.slice(0, 10) : groupBy === "user" ? "demo-user" : download.download_type;
    return ok({ time_period: period ?? "all_time", group_by: groupBy, total_downloads: downloads.length, groups: countBy(downloads.map(keyOf)) });
  },
};

function withCampaign(state: AccountState, id: number, answer: (campaign: Campaign) => CallToolResult): CallToolResult {
  const campaign = state.campaigns.get(id);
  return campaign ? answer(campaign) : notFound("Campaign", id);
}

// Later steps reach fewer leads: step n gets a weight of 1/n of the campaign's totals.
function splitBySequenceStep(campaign: Campaign, totals: EngagementMetrics) {
  const weights = campaign.sequence.map((_, index) => 1 / (index + 1));
  const sum = weights.reduce((total, weight) => total + weight, 0);
  return campaign.sequence.map((step, index) => {
    const part = (value: number) => Math.round((value * (weights[index] ?? 0)) / sum);
    const metrics = { sent: part(totals.sent), opened: part(totals.opened), clicked: part(totals.clicked), replied: part(totals.replied), bounced: part(totals.bounced) };
    return { seq_number: step.seq_number, subject: step.seq_variants[0]?.subject ?? "", ...metrics };
  });
}

function downloadContent(state: AccountState, campaign: Campaign, downloadType: string): Record<string, unknown>[] {
  const leads = state.campaignLeads
    .filter((entry) => entry.campaign_id === campaign.id)
    .map((entry) => ({ lead_id: entry.lead_id, email: state.leads.get(entry.lead_id)?.email ?? "", status: entry.status, category: entry.category ?? "" }));
  const analytics = [{ campaign_id: campaign.id, name: campaign.name, ...campaign.metrics }];
  const sequences = campaign.sequence.map((step) => ({ seq_number: step.seq_number, delay_in_days: step.seq_delay_details.delay_in_days, subject: step.seq_variants[0]?.subject ?? "" }));
  if (downloadType === "leads") return leads;
  if (downloadType === "sequences") return sequences;
  if (downloadType === "analytics" || downloadType === "summary") return analytics;
  return [...analytics.map((row) => ({ section: "analytics", ...row })), ...leads.map((row) => ({ section: "leads", ...row })), ...sequences.map((row) => ({ section: "sequences", ...row }))];
}

function toCsv(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown) => (value === undefined ? "" : String(value).replaceAll(",", " "));
  return [columns.join(","), ...rows.map((row) => columns.map((column) => cell(row[column])).join(","))].join("\n");
}

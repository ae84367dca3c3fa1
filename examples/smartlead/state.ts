// In-memory SmartLead-like account behind the demo upstream. Seed data is fixed (see seed.ts) so
// tests can assert on it; every mutation is visible through the read tools, and `toolCalls` counts
// executions so gateway tests can prove a held call ran exactly once (or never).
import { seedAccount } from "./seed.ts";

export type CampaignStatus = "DRAFTED" | "ACTIVE" | "PAUSED" | "STOPPED" | "COMPLETED";
export type LeadStatus = "STARTED" | "INPROGRESS" | "PAUSED" | "COMPLETED" | "BLOCKED" | "UNSUBSCRIBED";

export interface Client {
  id: number;
  name: string;
  email: string;
  is_whitelabel: boolean;
  settings: unknown;
  created_at: string;
}

export interface SequenceVariant {
  subject: string;
  email_body: string;
  variant_label: string;
  variant_distribution_percentage?: number;
}

export interface SequenceStep {
  seq_number: number;
  seq_delay_details: { delay_in_days: number };
  variant_distribution_type: "MANUAL_EQUAL" | "MANUAL_PERCENTAGE" | "AI_EQUAL";
  lead_distribution_percentage?: number;
  winning_metric_property?: "OPEN_RATE" | "CLICK_RATE" | "REPLY_RATE" | "POSITIVE_REPLY_RATE";
  seq_variants: SequenceVariant[];
}

export interface CampaignSchedule {
  timezone: string;
  days_of_the_week: number[];
  start_hour: string;
  end_hour: string;
  min_time_btw_emails: number;
  max_new_leads_per_day: number;
  schedule_start_time: string | null;
}

export interface EngagementMetrics {
  sent: number;
  opened: number;
  clicked: number;
  replied: number;
  positive_replies: number;
  bounced: number;
  unsubscribed: number;
}

export interface Campaign {
  id: number;
  name: string;
  client_id: number | null;
  status: CampaignStatus;
  created_at: string;
  updated_at: string;
  schedule: CampaignSchedule;
  settings: Record<string, unknown>;
  sequence: SequenceStep[];
  email_account_ids: number[];
  metrics: EngagementMetrics;
}

export interface Lead {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  company: string;
  title: string;
  phone: string;
  created_at: string;
}

export interface Message {
  type: "SENT" | "REPLY" | "FORWARD";
  from: string;
  to: string;
  subject: string;
  body: string;
  sent_at: string;
  seq_number?: number;
}

export interface CampaignLead {
  campaign_id: number;
  lead_id: number;
  status: LeadStatus;
  category: string | null;
  added_at: string;
  messages: Message[];
}

export interface EmailAccount {
  id: number;
  client_id: number | null;
  from_name: string;
  from_email: string;
  type: "GMAIL" | "OUTLOOK" | "SMTP";
  password: string;
  smtp_host: string;
  smtp_port: number;
  imap_host: string;
  imap_port: number;
  is_smtp_success: boolean;
  is_imap_success: boolean;
  smtp_failure_error: string | null;
  imap_failure_error: string | null;
  message_per_day: number;
  daily_sent_count: number;
  tag: string | null;
  warmup: {
    enabled: boolean;
    reputation: number;
    daily_ramp_up: number;
    reply_rate_percentage: number;
    total_sent: number;
    spam_count: number;
  };
  reconnect_count: number;
  last_reconnected_at: string | null;
}

export interface Webhook {
  id: number;
  campaign_id: number;
  webhook_url: string;
  events: string[];
  is_active: boolean;
  created_at: string;
  delivered_count: number;
  failed_count: number;
  retriggered_count: number;
}

export interface SpamTest {
  id: number;
  test_name: string;
  type: "manual" | "automated";
  status: "RUNNING" | "COMPLETED" | "STOPPED";
  subject: string;
  email_content: string;
  from_email: string;
  to_emails: string[];
  schedule: { frequency: string; time: string } | null;
  folder_id: number | null;
  created_at: string;
  runs: { run_at: string; inbox: number; spam: number; missing: number }[];
}

export interface Folder {
  id: number;
  name: string;
  description: string;
  created_at: string;
}

export interface ApiKey {
  id: number;
  name: string;
  permissions: string[];
  secret: string;
  created_at: string;
  reset_count: number;
}

export interface Vendor {
  id: number;
  name: string;
  price_per_mailbox_usd: number;
}

export interface OwnedDomain {
  domain: string;
  vendor_id: number;
  mailbox_count: number;
  purchased_at: string;
}

export interface MailboxOrder {
  id: number;
  domain: string;
  vendor_id: number;
  mailboxes: string[];
  status: "PLACED" | "GENERATED";
  ordered_at: string;
}

export interface ReportDownload {
  campaign_id: number;
  download_type: string;
  format: string;
  downloaded_at: string;
}

/** Which id sequence a new record draws from. */
export type IdKind = "client" | "campaign" | "lead" | "emailAccount" | "webhook" | "spamTest" | "folder" | "apiKey" | "order";

export interface AccountState {
  clients: Map<number, Client>;
  campaigns: Map<number, Campaign>;
  leads: Map<number, Lead>;
  campaignLeads: CampaignLead[];
  emailAccounts: Map<number, EmailAccount>;
  webhooks: Map<number, Webhook>;
  spamTests: Map<number, SpamTest>;
  folders: Map<number, Folder>;
  apiKeys: Map<number, ApiKey>;
  blocklist: { email: string; added_at: string }[];
  vendors: Map<number, Vendor>;
  domains: OwnedDomain[];
  mailboxOrders: MailboxOrder[];
  downloads: ReportDownload[];
  /** Calls that reached a tool handler (arguments valid), by tool name. */
  toolCalls: Map<string, number>;
  now: () => Date;
  nextId: (kind: IdKind) => number;
}

export interface AccountStateOptions {
  /** Clock for timestamps written by mutations; seed timestamps are fixed. */
  now?: () => Date;
}

export function createAccountState(options: AccountStateOptions = {}): AccountState {
  const seed = seedAccount();
  const lastIds: Record<IdKind, number> = {
    client: maxKey(seed.clients),
    campaign: maxKey(seed.campaigns),
    lead: maxKey(seed.leads),
    emailAccount: maxKey(seed.emailAccounts),
    webhook: maxKey(seed.webhooks),
    spamTest: maxKey(seed.spamTests),
    folder: maxKey(seed.folders),
    apiKey: maxKey(seed.apiKeys),
    order: 0,
  };
  return {
    ...seed,
    mailboxOrders: [],
    toolCalls: new Map(),
    now: options.now ?? (() => new Date()),
    nextId: (kind) => (lastIds[kind] += 1),
  };
}

/** How many times a tool's handler ran against this account. */
export function countToolCalls(state: AccountState, tool: string): number {
  return state.toolCalls.get(tool) ?? 0;
}

function maxKey(map: Map<number, unknown>): number {
  return Math.max(0, ...map.keys());
}

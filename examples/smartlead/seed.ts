// Fixed seed data of the demo account. Tests rely on these ids and values:
// campaigns 1001 (ACTIVE) 1002 (PAUSED) 1003 (DRAFTED, no sequence) 1004 (STOPPED);
// email accounts 501 and 505 healthy, 502 (SMTP auth failed), 503 (IMAP auth failed), 504 (both).
import type {
  AccountState,
  ApiKey,
  Campaign,
  CampaignLead,
  CampaignSchedule,
  Client,
  EmailAccount,
  Folder,
  Lead,
  SequenceStep,
  SpamTest,
  Vendor,
  Webhook,
} from "./state.ts";

export type SeedData = Omit<AccountState, "mailboxOrders" | "toolCalls" | "now" | "nextId">;

const T0 = "2025-01-06T09:00:00.000Z";
const T1 = "2025-01-13T09:00:00.000Z";
const T2 = "2025-01-20T09:00:00.000Z";

export function seedAccount(): SeedData {
  const leads: Lead[] = [
    lead(3001, "priya@lumen.example", "Priya", "Shah", "Lumen Labs", "CEO"),
    lead(3002, "tom@gridwise.example", "Tom", "Becker", "Gridwise", "CTO"),
    lead(3003, "ines@parcel.example", "Ines", "Moreau", "Parcel Co", "Head of Sales"),
    lead(3004, "jonas@fjord.example", "Jonas", "Lind", "Fjord Media", "Partner"),
    lead(3005, "clara@atelier.example", "Clara", "Vidal", "Atelier Nine", "Founder"),
    lead(3006, "raj@signal.example", "Raj", "Iyer", "Signal Stack", "VP Marketing"),
    lead(3007, "ola@north.example", "Ola", "Berg", "North Goods", "Buyer"),
  ];
  const emailOf = (leadId: number) => leads.find((candidate) => candidate.id === leadId)?.email ?? `lead-${leadId}@unknown.example`;
  const campaignLead = (campaignId: number, leadId: number, status: CampaignLead["status"], category: string | null, hasReply: boolean) =>
    seededCampaignLead(campaignId, leadId, emailOf(leadId), status, category, hasReply);
  return {
    clients: byId<Client>([
      { id: 11, name: "Northwind Outreach", email: "ops@northwind.example", is_whitelabel: false, settings: {}, created_at: T0 },
      { id: 12, name: "Blue Harbor Agency", email: "team@blueharbor.example", is_whitelabel: true, settings: { brand: "Blue Harbor" }, created_at: T0 },
    ]),
    campaigns: byId<Campaign>([
      campaign(1001, "Q1 SaaS founders", 11, "ACTIVE", [step(1, 0, "Quick question about {{company}}"), step(2, 3, "Re: quick question"), step(3, 5, "Closing the loop")], [501, 502], { sent: 540, opened: 302, clicked: 41, replied: 37, positive_replies: 14, bounced: 9, unsubscribed: 4 }),
      campaign(1002, "Agency partners EU", 12, "PAUSED", [step(1, 0, "Partnering with {{company}}"), step(2, 4, "Following up")], [504, 505], { sent: 210, opened: 118, clicked: 12, replied: 11, positive_replies: 3, bounced: 6, unsubscribed: 2 }),
      campaign(1003, "Webinar follow-up", 11, "DRAFTED", [], [], { sent: 0, opened: 0, clicked: 0, replied: 0, positive_replies: 0, bounced: 0, unsubscribed: 0 }),
      campaign(1004, "Holiday promo 2024", null, "STOPPED", [step(1, 0, "Season's greetings from Northwind")], [505], { sent: 880, opened: 401, clicked: 77, replied: 22, positive_replies: 5, bounced: 31, unsubscribed: 18 }),
    ]),
    leads: byId(leads),
    campaignLeads: [
      campaignLead(1001, 3001, "INPROGRESS", "Interested", true),
      campaignLead(1001, 3002, "INPROGRESS", null, false),
      campaignLead(1001, 3003, "PAUSED", "Out Of Office", true),
      campaignLead(1002, 3004, "INPROGRESS", null, false),
      campaignLead(1002, 3005, "COMPLETED", "Not Interested", true),
      campaignLead(1003, 3006, "STARTED", null, false),
      campaignLead(1004, 3001, "COMPLETED", null, false),
      campaignLead(1004, 3007, "COMPLETED", "Meeting Request", true),
    ],
    emailAccounts: byId<EmailAccount>([
      mailbox(501, 11, "Maya Chen", "maya@northwind-mail.example", "GMAIL", null, null),
      mailbox(502, 11, "Leo Park", "leo@northwind-mail.example", "SMTP", "535 5.7.8 Authentication failed: bad username or password", null),
      mailbox(503, 11, "Ana Ruiz", "ana@northwind-mail.example", "OUTLOOK", null, "AUTHENTICATE failed: OAuth token expired"),
      mailbox(504, 12, "Sam Okafor", "sam@blueharbor-send.example", "SMTP", "454 4.7.0 Too many login attempts", "LOGIN failed: invalid credentials"),
      mailbox(505, 12, "Ivy Novak", "ivy@blueharbor-send.example", "GMAIL", null, null),
    ]),
    webhooks: byId<Webhook>([
      { id: 701, campaign_id: 1001, webhook_url: "https://hooks.northwind.example/smartlead", events: ["EMAIL_REPLY", "LEAD_CATEGORY_UPDATED"], is_active: true, created_at: T0, delivered_count: 42, failed_count: 3, retriggered_count: 0 },
    ]),
    spamTests: byId<SpamTest>([
      {
        id: 801, test_name: "January deliverability check", type: "manual", status: "COMPLETED",
        subject: "Quick question about Lumen Labs", email_content: "Hi Priya, ...", from_email: "maya@northwind-mail.example",
        to_emails: ["seed-gmail@placement.example", "seed-outlook@placement.example"], schedule: null, folder_id: 901, created_at: T1,
        runs: [{ run_at: T1, inbox: 17, spam: 2, missing: 1 }],
      },
      {
        id: 802, test_name: "Weekly Gmail placement", type: "automated", status: "RUNNING",
        subject: "Partnering with Fjord Media", email_content: "Hi Jonas, ...", from_email: "ivy@blueharbor-send.example",
        to_emails: ["seed-gmail@placement.example"], schedule: { frequency: "weekly", time: "09:00" }, folder_id: 901, created_at: T1,
        runs: [{ run_at: T1, inbox: 9, spam: 1, missing: 0 }, { run_at: T2, inbox: 8, spam: 2, missing: 0 }],
      },
    ]),
    folders: byId<Folder>([{ id: 901, name: "Deliverability", description: "Placement tests run by the ops team", created_at: T0 }]),
    apiKeys: byId<ApiKey>([
      { id: 601, name: "Zapier sync", permissions: ["campaigns:read", "leads:write"], secret: "sl_live_demo_zapier_0601", created_at: T0, reset_count: 0 },
      { id: 602, name: "BI export", permissions: ["analytics:read"], secret: "sl_live_demo_bi_0602", created_at: T0, reset_count: 0 },
    ]),
    blocklist: [{ email: "buyer@rival.example", added_at: T0 }],
    vendors: byId<Vendor>([
      { id: 21, name: "Inbox Foundry", price_per_mailbox_usd: 3.5 },
      { id: 22, name: "Domain Depot", price_per_mailbox_usd: 2.75 },
    ]),
    domains: [
      { domain: "northwind-mail.example", vendor_id: 21, mailbox_count: 3, purchased_at: T0 },
      { domain: "blueharbor-send.example", vendor_id: 22, mailbox_count: 2, purchased_at: T0 },
    ],
    downloads: [
      { campaign_id: 1001, download_type: "analytics", format: "csv", downloaded_at: T1 },
      { campaign_id: 1004, download_type: "leads", format: "json", downloaded_at: T2 },
    ],
  };
}

function byId<T extends { id: number }>(items: T[]): Map<number, T> {
  return new Map(items.map((item) => [item.id, item]));
}

export function defaultSchedule(): CampaignSchedule {
  return {
    timezone: "Europe/Berlin",
    days_of_the_week: [1, 2, 3, 4, 5],
    start_hour: "09:00",
    end_hour: "17:00",
    min_time_btw_emails: 10,
    max_new_leads_per_day: 50,
    schedule_start_time: null,
  };
}

function campaign(
  id: number,
  name: string,
  clientId: number | null,
  status: Campaign["status"],
  sequence: SequenceStep[],
  emailAccountIds: number[],
  metrics: Campaign["metrics"],
): Campaign {
  return {
    id, name, client_id: clientId, status, created_at: T0, updated_at: T1,
    schedule: defaultSchedule(),
    settings: { track_opens: true, track_clicks: false, stop_lead_on: "REPLY_TO_AN_EMAIL" },
    sequence, email_account_ids: emailAccountIds, metrics,
  };
}

function step(seqNumber: number, delayInDays: number, subject: string): SequenceStep {
  return {
    seq_number: seqNumber,
    seq_delay_details: { delay_in_days: delayInDays },
    variant_distribution_type: "MANUAL_EQUAL",
    seq_variants: [{ subject, email_body: `Hi {{first_name}},\n\n(step ${seqNumber} body)\n\nBest,\n{{sender_name}}`, variant_label: "A" }],
  };
}

function lead(id: number, email: string, firstName: string, lastName: string, company: string, title: string): Lead {
  return { id, email, first_name: firstName, last_name: lastName, company, title, phone: "", created_at: T0 };
}

function seededCampaignLead(
  campaignId: number,
  leadId: number,
  leadEmail: string,
  status: CampaignLead["status"],
  category: string | null,
  hasReply: boolean,
): CampaignLead {
  const sender = campaignId === 1001 || campaignId === 1003 ? "maya@northwind-mail.example" : "ivy@blueharbor-send.example";
  const sent = { type: "SENT" as const, from: sender, to: leadEmail, subject: "Quick question", body: "Hi, ...", sent_at: T1, seq_number: 1 };
  const reply = { type: "REPLY" as const, from: leadEmail, to: sender, subject: "Re: Quick question", body: "Thanks for reaching out.", sent_at: T2 };
  return { campaign_id: campaignId, lead_id: leadId, status, category, added_at: T0, messages: hasReply ? [sent, reply] : [sent] };
}

function mailbox(
  id: number,
  clientId: number,
  fromName: string,
  fromEmail: string,
  type: EmailAccount["type"],
  smtpError: string | null,
  imapError: string | null,
): EmailAccount {
  const domain = fromEmail.split("@")[1] ?? "mail.example";
  return {
    id, client_id: clientId, from_name: fromName, from_email: fromEmail, type,
    password: `demo-password-${id}`,
    smtp_host: `smtp.${domain}`, smtp_port: 587, imap_host: `imap.${domain}`, imap_port: 993,
    is_smtp_success: smtpError === null, is_imap_success: imapError === null,
    smtp_failure_error: smtpError, imap_failure_error: imapError,
    message_per_day: 40, daily_sent_count: smtpError === null ? 12 : 0, tag: clientId === 11 ? "northwind" : "blueharbor",
    warmup: { enabled: true, reputation: smtpError === null ? 98 : 71, daily_ramp_up: 2, reply_rate_percentage: 30, total_sent: 120 + id % 10, spam_count: smtpError === null ? 1 : 6 },
    reconnect_count: 0, last_reconnected_at: null,
  };
}

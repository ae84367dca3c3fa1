// Read-only reports on one placement test. Table-driven: each report is a pure function of the test
// (its runs, sender and seed inboxes), so results are deterministic.
import type { ToolArgs } from "../arguments.ts";
import type { AccountState, SpamTest } from "../state.ts";
import { fail, notFound, ok, type ToolContext, type ToolHandler, type ToolHandlers } from "./common.ts";

const PROVIDERS = ["Gmail", "Outlook", "Yahoo"] as const;
const REGIONS = ["US", "EU"] as const;
const BLACKLISTS = ["Spamhaus ZEN", "Barracuda", "SpamCop", "SORBS", "UCEPROTECT-1"] as const;

type Placement = { inbox: number; spam: number; missing: number };
type Report = (test: SpamTest, state: AccountState) => Record<string, unknown>;

function report(build: Report): ToolHandler {
  return (args: ToolArgs, { state }: ToolContext) => {
    const test = state.spamTests.get(args.number("test_id"));
    if (!test) return notFound("Spam test", args.number("test_id"));
    const range = args.optionalObject("date_range") as { start_date: string; end_date: string } | undefined;
    if (range && range.start_date > range.end_date) return fail(`date_range.start_date ${range.start_date} is after end_date ${range.end_date}`);
    return ok({ test_id: test.id, test_name: test.test_name, status: test.status, ...(range ? { date_range: range } : {}), ...build(test, state) });
  };
}

export const spamReportHandlers: ToolHandlers = {
  smartlead_get_provider_wise_report: report((test) => ({ providers: split(latest(test), PROVIDERS) })),
  smartlead_get_geo_wise_report: report((test) => ({ regions: split(latest(test), REGIONS) })),
  smartlead_get_sender_account_wise_report: report((test) => ({ senders: [{ from_email: test.from_email, ...latest(test) }] })),
  smartlead_get_spam_filter_report: report((test) => spamFilter(test)),
  smartlead_get_dkim_details: report((test) => ({ domain: domainOf(test), selector: "sl1", signature_valid: true, key_bits: 2048 })),
  smartlead_get_spf_details: report((test) => ({ domain: domainOf(test), result: "pass", record: `v=spf1 include:_spf.${domainOf(test)} ~all` })),
  smartlead_get_rdns_report: report((test) => ({ ips: [{ ip: ipOf(test), ptr: `mail.${domainOf(test)}`, forward_confirmed: true }] })),
  smartlead_get_sender_account_list: report((test, state) => ({
    sender_accounts: [...state.emailAccounts.values()]
      .filter((account) => account.from_email === test.from_email)
      .map((account) => ({ email_account_id: account.id, from_email: account.from_email, is_smtp_success: account.is_smtp_success })),
  })),
  smartlead_get_blacklists: report((test) => ({ checked: BLACKLISTS.length, listed_count: 0, blacklists: BLACKLISTS.map((name) => ({ name, ip: ipOf(test), listed: false })) })),
  smartlead_get_domain_blacklist: report((test) => ({ domain: domainOf(test), listed_on: [] })),
  smartlead_get_spam_test_email_content: report((test) => ({ from_email: test.from_email, subject: test.subject, email_content: test.email_content })),
  smartlead_get_ip_blacklist_count: report((test) => ({ ip: ipOf(test), blacklist_count: 0, checked: BLACKLISTS.length })),
  smartlead_get_email_reply_headers: report((test) => ({
    headers: {
      "Return-Path": `<${test.from_email}>`,
      Received: `from mail.${domainOf(test)} (${ipOf(test)}) by mx.placement.example`,
      "Authentication-Results": `mx.placement.example; dkim=pass header.d=${domainOf(test)}; spf=pass; dmarc=pass`,
      Subject: test.subject,
    },
  })),
  smartlead_get_schedule_history: report((test) => ({ schedule: test.schedule, runs: test.runs })),
  smartlead_get_ip_details: report((test) => ({ ips: [{ ip: ipOf(test), reverse_dns: `mail.${domainOf(test)}`, country: "DE", shared: false }] })),
  smartlead_get_mailbox_summary: report((test) => ({ mailboxes: mailboxPlacement(test) })),
  smartlead_get_mailbox_count: report((test) => {
    const placement = mailboxPlacement(test);
    return { total: placement.length, inbox: placement.filter((m) => m.folder === "inbox").length, spam: placement.filter((m) => m.folder === "spam").length };
  }),
};

function latest(test: SpamTest): Placement {
  const run = test.runs.at(-1);
  return run ? { inbox: run.inbox, spam: run.spam, missing: run.missing } : { inbox: 0, spam: 0, missing: 0 };
}

/** Spreads a placement over named buckets, remainders going to the first buckets. */
function split(placement: Placement, names: readonly string[]) {
  const part = (value: number, index: number) => Math.floor(value / names.length) + (index < value % names.length ? 1 : 0);
  return names.map((name, index) => ({ name, inbox: part(placement.inbox, index), spam: part(placement.spam, index), missing: part(placement.missing, index) }));
}

function mailboxPlacement(test: SpamTest) {
  const { spam } = latest(test);
  const hasRun = test.runs.length > 0;
  return test.to_emails.map((email, index) => ({ email, folder: !hasRun ? "pending" : index < spam ? "spam" : "inbox" }));
}

function spamFilter(test: SpamTest) {
  const rules = [
    { rule: "SUBJ_ALL_CAPS", score: 1.5, triggered: test.subject === test.subject.toUpperCase() && /[A-Z]/.test(test.subject) },
    { rule: "MONEY_WORDS", score: 2.1, triggered: /free|\$|discount/i.test(`${test.subject} ${test.email_content}`) },
    { rule: "EXCLAMATION_MARKS", score: 0.8, triggered: /!{2,}/.test(test.email_content) },
  ];
  const score = rules.filter((rule) => rule.triggered).reduce((total, rule) => total + rule.score, 0);
  return { spam_score: Math.round(score * 10) / 10, threshold: 5, rules };
}

function domainOf(test: SpamTest): string {
  return test.from_email.split("@")[1] ?? "unknown.example";
}

function ipOf(test: SpamTest): string {
  return `198.51.100.${(test.id % 250) + 1}`;
}

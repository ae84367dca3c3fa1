// Email account (mailbox) tools. The reconnect tool is the gateway's motivating case: it acts on
// real mailbox logins, so its effect (SMTP/IMAP state, reconnect_count) is visible and countable.
import type { AccountState, EmailAccount } from "../state.ts";
import { emailAccountView, fail, notFound, ok, timestamp, type ToolHandlers } from "./common.ts";

// Hosts under the reserved .invalid TLD never accept a login: the way to create a failing mailbox.
const isReachable = (host: string) => !host.endsWith(".invalid");

export const emailAccountHandlers: ToolHandlers = {
  smartlead_get_all_email_accounts: (_args, { state }) => {
    const accounts = [...state.emailAccounts.values()].map(emailAccountView);
    const failed = accounts.filter((account) => !account.is_smtp_success || !account.is_imap_success).map((account) => account.id);
    return ok({ total: accounts.length, failed_count: failed.length, failed_email_account_ids: failed, email_accounts: accounts });
  },

  smartlead_get_email_account_by_id: (args, { state }) => {
    const account = state.emailAccounts.get(args.number("email_account_id"));
    if (!account) return notFound("Email account", args.number("email_account_id"));
    const campaigns = [...state.campaigns.values()].filter((c) => c.email_account_ids.includes(account.id)).map((c) => c.id);
    return ok({ ...emailAccountView(account), campaign_ids: campaigns });
  },

  smartlead_create_email_account: (args, { state }) => {
    const email = args.string("email").toLowerCase();
    const existing = [...state.emailAccounts.values()].find((account) => account.from_email === email);
    if (existing) return fail(`Email account ${email} already exists (id ${existing.id})`);
    const id = state.nextId("emailAccount");
    const account: EmailAccount = {
      id, client_id: null, from_name: args.optionalString("name") ?? email, from_email: email, type: "SMTP",
      password: args.string("password"), smtp_host: args.string("smtp_host"), smtp_port: args.number("smtp_port"),
      imap_host: args.string("imap_host"), imap_port: args.number("imap_port"),
      is_smtp_success: false, is_imap_success: false, smtp_failure_error: null, imap_failure_error: null,
      message_per_day: 40, daily_sent_count: 0, tag: null,
      warmup: { enabled: false, reputation: 100, daily_ramp_up: 2, reply_rate_percentage: 30, total_sent: 0, spam_count: 0 },
      reconnect_count: 0, last_reconnected_at: null,
    };
    testLogin(account);
    state.emailAccounts.set(id, account);
    return ok({ ok: true, email_account: emailAccountView(account) });
  },

  smartlead_update_email_account: (args, { state }) => {
    const account = state.emailAccounts.get(args.number("email_account_id"));
    if (!account) return notFound("Email account", args.number("email_account_id"));
    account.from_email = args.optionalString("email")?.toLowerCase() ?? account.from_email;
    account.from_name = args.optionalString("name") ?? account.from_name;
    account.password = args.optionalString("password") ?? account.password;
    account.smtp_host = args.optionalString("smtp_host") ?? account.smtp_host;
    account.smtp_port = args.optionalNumber("smtp_port") ?? account.smtp_port;
    account.imap_host = args.optionalString("imap_host") ?? account.imap_host;
    account.imap_port = args.optionalNumber("imap_port") ?? account.imap_port;
    const credentialsChanged = ["password", "smtp_host", "smtp_port", "imap_host", "imap_port"].some((key) => args.has(key));
    if (credentialsChanged) testLogin(account);
    return ok({ ok: true, login_retested: credentialsChanged, email_account: emailAccountView(account) });
  },

  smartlead_update_email_account_warmup: (args, { state }) => {
    const account = state.emailAccounts.get(args.number("email_account_id"));
    if (!account) return notFound("Email account", args.number("email_account_id"));
    const warmup = account.warmup;
    warmup.enabled = args.optionalBoolean("warmup_enabled") ?? warmup.enabled;
    warmup.reputation = args.optionalNumber("warmup_reputation") ?? warmup.reputation;
    warmup.daily_ramp_up = args.optionalNumber("daily_ramp_up") ?? warmup.daily_ramp_up;
    warmup.reply_rate_percentage = args.optionalNumber("reply_rate_percentage") ?? warmup.reply_rate_percentage;
    return ok({ ok: true, email_account_id: account.id, warmup });
  },

  smartlead_update_email_account_tag: (args, { state }) => {
    const account = state.emailAccounts.get(args.number("email_account_id"));
    if (!account) return notFound("Email account", args.number("email_account_id"));
    const previous = account.tag;
    account.tag = args.string("tag");
    return ok({ ok: true, email_account_id: account.id, previous_tag: previous, tag: account.tag });
  },

  smartlead_get_warmup_stats_by_email_account_id: (args, { state }) => {
    const account = state.emailAccounts.get(args.number("email_account_id"));
    if (!account) return notFound("Email account", args.number("email_account_id"));
    return ok(warmupStats(account));
  },

  smartlead_reconnect_failed_email_accounts: async (args, { state, reportProgress, pauseBetweenSteps, signal }) => {
    const ids = [...new Set(args.array<number>("email_account_ids"))];
    if (ids.length === 0) return fail("email_account_ids is empty: name at least one email account to reconnect");
    const missing = ids.filter((id) => !state.emailAccounts.has(id));
    if (missing.length > 0) {
      return fail(`Email account${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not found; nothing was reconnected`);
    }
    await reportProgress(0, ids.length, `reconnecting ${ids.length} email account(s)`);
    const results = [];
    for (const [index, id] of ids.entries()) {
      await pauseBetweenSteps();
      signal.throwIfAborted();
      const account = state.emailAccounts.get(id) as EmailAccount;
      results.push(reconnect(state, account));
      await reportProgress(index + 1, ids.length, `reconnected ${account.from_email} (${index + 1}/${ids.length})`);
    }
    const reconnected = results.filter((result) => result.outcome === "reconnected").length;
    return ok({ ok: true, requested: ids.length, reconnected_count: reconnected, already_connected_count: results.length - reconnected, results });
  },
};

/** Re-runs the SMTP and IMAP logins; every attempt counts, whether or not the mailbox was failing. */
function reconnect(state: AccountState, account: EmailAccount) {
  const before = { is_smtp_success: account.is_smtp_success, is_imap_success: account.is_imap_success };
  const wasFailing = !before.is_smtp_success || !before.is_imap_success;
  account.is_smtp_success = true;
  account.is_imap_success = true;
  account.smtp_failure_error = null;
  account.imap_failure_error = null;
  account.reconnect_count += 1;
  account.last_reconnected_at = timestamp(state);
  return {
    email_account_id: account.id,
    from_email: account.from_email,
    outcome: wasFailing ? ("reconnected" as const) : ("already_connected" as const),
    before,
    after: { is_smtp_success: true, is_imap_success: true },
    reconnect_count: account.reconnect_count,
  };
}

function testLogin(account: EmailAccount): void {
  account.is_smtp_success = isReachable(account.smtp_host);
  account.is_imap_success = isReachable(account.imap_host);
  account.smtp_failure_error = account.is_smtp_success ? null : `connect ENOTFOUND ${account.smtp_host}`;
  account.imap_failure_error = account.is_imap_success ? null : `connect ENOTFOUND ${account.imap_host}`;
}

function warmupStats(account: EmailAccount) {
  const days = Array.from({ length: 7 }, (_, index) => {
    const sent = account.warmup.enabled ? account.warmup.daily_ramp_up * (index + 1) + (account.id % 5) : 0;
    const spam = account.is_smtp_success ? (index === 3 ? 1 : 0) : Math.min(sent, 2);
    return { date: new Date(Date.UTC(2025, 0, 27 + index)).toISOString().slice(0, 10), sent, landed_in_inbox: sent - spam, landed_in_spam: spam };
  });
  const sent = days.reduce((total, day) => total + day.sent, 0);
  const spam = days.reduce((total, day) => total + day.landed_in_spam, 0);
  return {
    email_account_id: account.id,
    warmup_enabled: account.warmup.enabled,
    reputation: account.warmup.reputation,
    last_7_days: { sent, landed_in_inbox: sent - spam, landed_in_spam: spam, inbox_rate: sent === 0 ? 0 : Math.round(((sent - spam) / sent) * 1000) / 10 },
    days,
  };
}

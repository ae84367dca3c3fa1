// Admin tools: clients, API keys and SmartSenders (buying domains and mailboxes from vendors).
// API key secrets are shown once, at creation or reset, and masked everywhere else.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolArgs } from "../arguments.ts";
import type { AccountState, ApiKey, EmailAccount } from "../state.ts";
import { fail, notFound, ok, timestamp, type ToolContext, type ToolHandlers } from "./common.ts";

const DOMAIN = /^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const MAX_MAILBOXES_PER_ORDER = 50;

export const adminHandlers: ToolHandlers = {
  smartlead_add_client_to_system: (args, { state }) => createClient(args, state),
  smartlead_create_client: (args, { state }) => createClient(args, state),

  smartlead_get_all_clients: (_args, { state }) => ok({ total: state.clients.size, clients: [...state.clients.values()] }),

  smartlead_create_client_api_key: (args, { state }) => {
    const id = state.nextId("apiKey");
    const key: ApiKey = { id, name: args.string("name"), permissions: args.optionalArray<string>("permissions") ?? ["*"], secret: `sl_live_demo_key_${id}`, created_at: timestamp(state), reset_count: 0 };
    state.apiKeys.set(id, key);
    return ok({ ok: true, api_key: { ...maskKey(key), secret: key.secret }, note: "The secret is shown once." });
  },

  smartlead_get_client_api_keys: (_args, { state }) => ok({ api_keys: [...state.apiKeys.values()].map(maskKey) }),

  smartlead_delete_client_api_key: (args, { state }) => {
    const id = args.number("api_key_id");
    if (!state.apiKeys.delete(id)) return notFound("API key", id);
    return ok({ ok: true, deleted: true, api_key_id: id });
  },

  smartlead_reset_client_api_key: (args, { state }) => {
    const key = state.apiKeys.get(args.number("api_key_id"));
    if (!key) return notFound("API key", args.number("api_key_id"));
    key.reset_count += 1;
    key.secret = `sl_live_demo_key_${key.id}_r${key.reset_count}`;
    return ok({ ok: true, api_key: { ...maskKey(key), secret: key.secret }, note: "The previous secret no longer works." });
  },

  smartlead_search_domain: (args, { state }) => {
    const domain = args.string("domain").toLowerCase();
    if (!DOMAIN.test(domain)) return fail(`"${domain}" is not a domain name`);
    const owned = state.domains.find((entry) => entry.domain === domain);
    if (owned) return ok({ domain, available: false, reason: "already owned by this account", vendor_id: owned.vendor_id });
    return ok({ domain, available: true, offers: [...state.vendors.values()].map((vendor) => ({ vendor_id: vendor.id, vendor: vendor.name, price_per_mailbox_usd: vendor.price_per_mailbox_usd })) });
  },

  smartlead_get_vendors: (_args, { state }) => ok({ vendors: [...state.vendors.values()] }),

  smartlead_get_domain_list: (_args, { state }) => ok({ total: state.domains.length, domains: state.domains }),

  smartlead_auto_generate_mailboxes: async (args, context) => {
    const { state } = context;
    const domain = args.string("domain").toLowerCase();
    const vendor = state.vendors.get(args.number("vendor_id"));
    if (!vendor) return notFound("Vendor", args.number("vendor_id"));
    if (!DOMAIN.test(domain)) return fail(`"${domain}" is not a domain name`);
    const count = args.number("count");
    if (count < 1 || count > MAX_MAILBOXES_PER_ORDER) return fail(`count must be between 1 and ${MAX_MAILBOXES_PER_ORDER}`);
    const pattern = args.optionalString("naming_pattern") ?? "sender{n}";
    const names = pattern.includes("{n}") ? Array.from({ length: count }, (_, index) => pattern.replaceAll("{n}", String(index + 1))) : [pattern];
    if (names.length !== count) return fail("naming_pattern must contain {n} when count is greater than 1");
    const mailboxes = await stepThrough(names, context, (name) => `${name}@${domain}`, "generated");
    const order = { id: state.nextId("order"), domain, vendor_id: vendor.id, mailboxes, status: "GENERATED" as const, ordered_at: timestamp(state) };
    state.mailboxOrders.push(order);
    return ok({ ok: true, order_id: order.id, domain, vendor: vendor.name, mailboxes, estimated_cost_usd: Math.round(count * vendor.price_per_mailbox_usd * 100) / 100 });
  },

  smartlead_place_order_for_mailboxes: async (args, context) => placeOrder(args, context),
};

async function placeOrder(args: ToolArgs, context: ToolContext): Promise<CallToolResult> {
  const { state } = context;
  const domain = args.string("domain").toLowerCase();
  const vendor = state.vendors.get(args.number("vendor_id"));
  if (!vendor) return notFound("Vendor", args.number("vendor_id"));
  const requested = args.array<{ email: string; password: string }>("mailboxes");
  if (requested.length === 0 || requested.length > MAX_MAILBOXES_PER_ORDER) return fail(`An order needs 1 to ${MAX_MAILBOXES_PER_ORDER} mailboxes, got ${requested.length}`);
  const offDomain = requested.filter((mailbox) => !mailbox.email.toLowerCase().endsWith(`@${domain}`));
  if (offDomain.length > 0) return fail(`Mailboxes must be on ${domain}: ${offDomain.map((mailbox) => mailbox.email).join(", ")}`);
  const taken = requested.filter((mailbox) => [...state.emailAccounts.values()].some((account) => account.from_email === mailbox.email.toLowerCase()));
  if (taken.length > 0) return fail(`Mailboxes already exist: ${taken.map((mailbox) => mailbox.email).join(", ")}`);
  const created = await stepThrough(requested, context, (mailbox) => addMailbox(state, domain, mailbox).id, "provisioned");
  const existingDomain = state.domains.find((entry) => entry.domain === domain);
  if (existingDomain) existingDomain.mailbox_count += created.length;
  else state.domains.push({ domain, vendor_id: vendor.id, mailbox_count: created.length, purchased_at: timestamp(state) });
  const order = { id: state.nextId("order"), domain, vendor_id: vendor.id, mailboxes: requested.map((mailbox) => mailbox.email.toLowerCase()), status: "PLACED" as const, ordered_at: timestamp(state) };
  state.mailboxOrders.push(order);
  return ok({ ok: true, order_id: order.id, vendor: vendor.name, domain, email_account_ids: created, total_cost_usd: Math.round(created.length * vendor.price_per_mailbox_usd * 100) / 100 });
}

/** Runs `step` over items with simulated latency and a progress notification per item. */
async function stepThrough<T, R>(items: T[], context: ToolContext, step: (item: T) => R, verb: string): Promise<R[]> {
  const results: R[] = [];
  for (const [index, item] of items.entries()) {
    await context.pauseBetweenSteps();
    context.signal.throwIfAborted();
    results.push(step(item));
    await context.reportProgress(index + 1, items.length, `${verb} ${index + 1} of ${items.length} mailboxes`);
  }
  return results;
}

function addMailbox(state: AccountState, domain: string, mailbox: { email: string; password: string }): EmailAccount {
  const id = state.nextId("emailAccount");
  const email = mailbox.email.toLowerCase();
  const account: EmailAccount = {
    id, client_id: null, from_name: email.split("@")[0] ?? email, from_email: email, type: "SMTP", password: mailbox.password,
    smtp_host: `smtp.${domain}`, smtp_port: 587, imap_host: `imap.${domain}`, imap_port: 993,
    is_smtp_success: true, is_imap_success: true, smtp_failure_error: null, imap_failure_error: null,
    message_per_day: 20, daily_sent_count: 0, tag: "smartsenders",
    warmup: { enabled: true, reputation: 100, daily_ramp_up: 1, reply_rate_percentage: 30, total_sent: 0, spam_count: 0 },
    reconnect_count: 0, last_reconnected_at: null,
  };
  state.emailAccounts.set(id, account);
  return account;
}

function createClient(args: ToolArgs, state: AccountState): CallToolResult {
  const email = args.string("email").toLowerCase();
  const existing = [...state.clients.values()].find((client) => client.email === email);
  if (existing) return fail(`A client with email ${email} already exists (id ${existing.id})`);
  const id = state.nextId("client");
  const client = { id, name: args.string("name"), email, is_whitelabel: args.optionalBoolean("is_whitelabel") ?? false, settings: args.values["settings"] ?? {}, created_at: timestamp(state) };
  state.clients.set(id, client);
  return ok({ ok: true, client });
}

function maskKey(key: ApiKey) {
  return { id: key.id, name: key.name, permissions: key.permissions, key_preview: `sl_live_…${key.secret.slice(-4)}`, created_at: key.created_at, reset_count: key.reset_count };
}

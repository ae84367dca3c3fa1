// The gateway end to end over Streamable HTTP: the real express app on an ephemeral port, the SDK
// client, and the SmartLead-shaped demo upstream as a stdio child.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { listAuditEvents, listToolCalls, verifyAuditChain } from "../src/audit/index.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const POLICY = {
  version: "1",
  default: "deny",
  hide: ["smartlead_delete_*"],
  tools: {
    "smartlead_get_*": {},
    smartlead_list_campaigns: {},
    smartlead_reconnect_failed_email_accounts: {
      limits: [{ counter: "reconnect", window: "day", max: 2, scope: "grant" }],
    },
    smartlead_update_campaign_status: {
      deny_if: [{ path: "args.status", op: "eq", value: "START", message: "agents may not launch campaigns" }],
    },
    smartlead_create_campaign: { action: "deny", reason: "Campaigns are created by people." },
  },
};

describe(`gateway over Streamable HTTP (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY } });
    token = await gw.createToken("agent-a", "U0OWNER");
  });
  after(() => gw.close());

  it("lists only the tools the policy lets the grant call", async () => {
    const client = await gw.connect(token);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("smartlead_get_campaign"));
    assert.ok(names.includes("smartlead_reconnect_failed_email_accounts"));
    assert.ok(names.includes("smartlead_update_campaign_status"), "conditional deny stays listed");
    assert.ok(!names.some((n) => n.startsWith("smartlead_delete_")), "hidden tools are not listed");
    assert.ok(!names.includes("smartlead_create_campaign"), "unconditionally denied tools are not listed");
    assert.ok(!names.includes("smartlead_add_leads_to_campaign"), "default deny tools are not listed");
  });

  it("forwards an allowed call and returns the upstream's result", async () => {
    const client = await gw.connect(token);
    const result = await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} });
    assert.equal(result.isError, undefined);
    assert.match(textOf(result), /from_email/);
  });

  it("denies with the reason and names the rule in _meta", async () => {
    const client = await gw.connect(token);
    const denied = await client.callTool({ name: "smartlead_create_campaign", arguments: { name: "x" } });
    assert.equal(denied.isError, true);
    assert.equal(textOf(denied), "Campaigns are created by people.");
    assert.equal(denied._meta?.["gatehouse/rule"], "/tools/smartlead_create_campaign");
    assert.equal(denied._meta?.["gatehouse/decision"], "deny");

    const conditional = await client.callTool({ name: "smartlead_update_campaign_status", arguments: { campaign_id: 1, status: "START" } });
    assert.equal(conditional.isError, true);
    assert.equal(textOf(conditional), "agents may not launch campaigns");
    assert.equal(conditional._meta?.["gatehouse/rule"], "/tools/smartlead_update_campaign_status/deny_if/0");

    const byDefault = await client.callTool({ name: "smartlead_add_leads_to_campaign", arguments: { campaign_id: 1, lead_list: [] } });
    assert.equal(byDefault.isError, true);
    assert.equal(byDefault._meta?.["gatehouse/rule"], "/default");
  });

  it("answers a hidden tool exactly as a tool that does not exist, plain and task-augmented, and audits it as hidden", async () => {
    const client = await gw.connect(token);
    // The exposed name is the only difference, so compare the whole error with the name blanked out.
    const errorOf = async (name: string, params: Record<string, unknown> = {}) => {
      const error = await client.request({ method: "tools/call", params: { name, arguments: { campaign_id: 1 }, ...params } }, CallToolResultSchema).then(
        (result) => assert.fail(`expected a JSON-RPC error, got ${JSON.stringify(result)}`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof McpError);
      return JSON.stringify({ code: error.code, message: error.message, data: error.data ?? null }).replaceAll(name, "<tool>");
    };
    const unknown = await errorOf("smartlead_no_such_tool");
    assert.match(unknown, /^\{"code":-32602,"message":"[^"]*Unknown tool: <tool>","data":null\}$/);
    assert.equal(await errorOf("smartlead_delete_campaign"), unknown);
    assert.equal(await errorOf("smartlead_delete_lead_by_campaign"), unknown);
    const asTask = { task: { ttl: 60_000 } };
    assert.equal(await errorOf("smartlead_delete_campaign", asTask), await errorOf("smartlead_no_such_tool", asTask));

    const { rows } = await listToolCalls(gw.instance.database, { tool: "smartlead_delete_campaign", limit: 10 });
    assert.equal(rows.length, 2, "each call to the hidden tool is recorded");
    assert.ok(rows.every((r) => r.decision === "hide" && r.rule === "/hide/0" && r.status === "refused"));
    const events = await listAuditEvents(gw.instance.database, { tool: "smartlead_delete_campaign", limit: 10 });
    assert.deepEqual(events.rows.map((e) => e.type), ["call.hidden", "call.hidden"]);
    assert.equal((await listToolCalls(gw.instance.database, { tool: "smartlead_no_such_tool" })).rows.length, 0, "unknown tools reach no upstream and no policy");
  });

  it("answers an unknown tool with a JSON-RPC invalid-params error", async () => {
    const client = await gw.connect(token);
    await assert.rejects(client.callTool({ name: "no_such_tool", arguments: {} }), /Unknown tool: no_such_tool/);
  });

  it("rate-limits per grant, releases quota when the upstream call fails, and says when to retry", async () => {
    const client = await gw.connect(token);
    const accounts = JSON.parse(textOf(await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} }))) as unknown;
    const failedIds = findFailedAccountIds(accounts);
    assert.ok(failedIds.length >= 2, "the demo account has failed mailboxes");

    // An upstream failure (unknown account) gives its quota back.
    const failing = await client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [999999] } });
    assert.equal(failing.isError, true);

    const first = await client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [failedIds[0]] } });
    assert.equal(first.isError, undefined, textOf(first));
    const second = await client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [failedIds[1]] } });
    assert.equal(second.isError, undefined, textOf(second));
    const third = await client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [failedIds[0]] } });
    assert.equal(third.isError, true);
    assert.match(textOf(third), /Rate limit exceeded: counter "reconnect" allows 2 call\(s\) per day\. Retry in \d+ s\./);
    assert.equal(third._meta?.["gatehouse/decision"], "rate_limited");
    assert.equal(third._meta?.["gatehouse/rule"], "/tools/smartlead_reconnect_failed_email_accounts/limits/0");
    assert.ok(Number(third._meta?.["gatehouse/retry_after_seconds"]) > 0);

    // Another grant has its own count.
    const other = await gw.connect(await gw.createToken("agent-b"));
    const fresh = await other.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [failedIds[0]] } });
    assert.equal(fresh.isError, undefined, textOf(fresh));
  });

  it("forwards progress notifications from the upstream", async () => {
    const client = await gw.connect(await gw.createToken("agent-progress"));
    const listing = JSON.parse(textOf(await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} }))) as { email_accounts: Array<{ id: number }> };
    const ids = listing.email_accounts.slice(0, 2).map((a) => a.id);
    const seen: number[] = [];
    const result = await client.request(
      { method: "tools/call", params: { name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: ids } } },
      CallToolResultSchema,
      { onprogress: (p) => seen.push(p.progress) },
    );
    assert.equal(result.isError, undefined, textOf(result));
    // The SDK dispatches notifications a microtask later than responses, so a progress notification
    // arriving right before the result can be dropped by the client; all earlier ones must arrive, in order.
    assert.deepEqual(seen, [0, 1, 2].slice(0, seen.length));
    assert.ok(seen.length >= 2, `progress received: ${JSON.stringify(seen)}`);
  });

  it("records every decision in the audit history with an intact hash chain", async () => {
    const { rows } = await listToolCalls(gw.instance.database, { grant: "agent-a", limit: 100 });
    const byTool = new Map(rows.map((r) => [r.tool, r]));
    assert.equal(byTool.get("smartlead_create_campaign")?.decision, "deny");
    assert.equal(byTool.get("smartlead_create_campaign")?.rule, "/tools/smartlead_create_campaign");
    assert.equal(byTool.get("smartlead_delete_campaign")?.decision, "hide");
    assert.ok(rows.some((r) => r.decision === "rate_limited"));
    assert.ok(rows.some((r) => r.tool === "smartlead_get_all_email_accounts" && r.decision === "allow"));
    const verified = await verifyAuditChain(gw.instance.database);
    assert.equal(verified.ok, true);
  });
});

function findFailedAccountIds(value: unknown): number[] {
  const ids: number[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.id === "number" && (o.is_smtp_success === false || o.is_imap_success === false)) ids.push(o.id);
      Object.values(o).forEach(visit);
    }
  };
  visit(value);
  return [...new Set(ids)];
}

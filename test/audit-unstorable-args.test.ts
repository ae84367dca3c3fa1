// Arguments PostgreSQL cannot store as they are (a NUL character, an unpaired UTF-16 surrogate, in
// values and in keys): every call still leaves its audit rows, stored escaped, with the hash of the
// caller's original arguments, and the chain still verifies.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canonicalJson, fromStorableJson, listAuditEvents, listToolCalls, sha256Hex, verifyAuditChain } from "../src/audit/index.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const UPDATE = "smartlead_update_email_account";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [UPDATE]: { limits: [{ counter: "updates", window: "day", max: 1, scope: "grant" }] },
    smartlead_create_campaign: { action: "deny", reason: "Campaigns are created by people." },
    smartlead_pause_lead_by_campaign: { action: "require_approval", approval: { wait: "ticket" } },
  },
};

describe(`arguments with NUL and unpaired surrogates (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;
  const rowsFor = async (tool: string) => (await listToolCalls(gw.instance.database, { tool, grant: "odd-agent", limit: 10 })).rows;
  const eventsFor = async (tool: string) => (await listAuditEvents(gw.instance.database, { tool, actor: "grant:odd-agent", limit: 10 })).rows;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY } });
    token = await gw.createToken("odd-agent");
  });
  after(() => gw.close());

  it("an allowed call runs with the original arguments and is recorded escaped, with the hash of the original", async () => {
    const client = await gw.connect(token);
    const args = { email_account_id: 501, name: "Ops\u0000Desk \uD800", password: "hunter2\u0000" };
    const result = await client.callTool({ name: UPDATE, arguments: args });
    assert.equal(result.isError, undefined, textOf(result));
    const account = JSON.parse(textOf(await client.callTool({ name: "smartlead_get_email_account_by_id", arguments: { email_account_id: 501 } }))) as { from_name?: string; name?: string };
    assert.ok(JSON.stringify(account).includes(JSON.stringify("Ops\u0000Desk \uD800")), "the upstream got the caller's exact text");

    const [row] = await rowsFor(UPDATE);
    assert.equal(row?.status, "succeeded");
    assert.deepEqual(row?.argsRedacted, { email_account_id: 501, name: "Ops\\u0000Desk \\ud800", password: "[REDACTED]" });
    assert.equal(row?.argsHash, sha256Hex(canonicalJson(args)));
    assert.deepEqual(fromStorableJson(row?.argsRedacted), { ...args, password: "[REDACTED]" }, "the escape reads back to the original text");
    assert.deepEqual((await eventsFor(UPDATE)).map((e) => e.type).reverse(), ["call.allowed", "call.succeeded"]);
  });

  it("a rate-limited call with such arguments is recorded", async () => {
    const client = await gw.connect(token);
    const args = { email_account_id: 502, name: "\uDC00\u0000" };
    const result = await client.callTool({ name: UPDATE, arguments: args });
    assert.equal(result._meta?.["gatehouse/decision"], "rate_limited", textOf(result));
    const limited = (await rowsFor(UPDATE)).find((r) => r.decision === "rate_limited");
    assert.deepEqual(limited?.argsRedacted, { email_account_id: 502, name: "\\udc00\\u0000" });
    assert.equal(limited?.argsHash, sha256Hex(canonicalJson(args)));
    assert.ok((await eventsFor(UPDATE)).some((e) => e.type === "call.rate_limited" && e.callId === limited?.id));
  });

  it("a denied call with such text in keys is recorded, and distinct arguments keep distinct stored forms", async () => {
    const client = await gw.connect(token);
    const odd = { "na\u0000me": "\uD83D", "C:\\u0041": "x" };
    const lookalike = { "na\\u0000me": "\\ud83d", "C:\\u0041": "x" };
    for (const args of [odd, lookalike]) {
      const result = await client.callTool({ name: "smartlead_create_campaign", arguments: args });
      assert.equal(textOf(result), "Campaigns are created by people.");
    }
    const rows = await rowsFor("smartlead_create_campaign");
    assert.equal(rows.length, 2);
    const byHash = new Map(rows.map((r) => [r.argsHash, r.argsRedacted]));
    assert.deepEqual(byHash.get(sha256Hex(canonicalJson(odd))), { "na\\u0000me": "\\ud83d", "C:\\u005cu0041": "x" });
    assert.deepEqual(byHash.get(sha256Hex(canonicalJson(lookalike))), { "na\\u005cu0000me": "\\u005cud83d", "C:\\u005cu0041": "x" });
    assert.deepEqual((await eventsFor("smartlead_create_campaign")).map((e) => e.type), ["call.denied", "call.denied"]);
  });

  it("the hash chain verifies over all of it", async () => {
    const verified = await verifyAuditChain(gw.instance.database);
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  // The approvals row keeps the exact arguments sealed (text) and the redacted form escaped.
  it("a held call with such arguments is recorded", async () => {
    const client = await gw.connect(token);
    const result = await client.callTool({ name: "smartlead_pause_lead_by_campaign", arguments: { campaign_id: 1001, lead_id: 3002, note: "\u0000" } });
    assert.ok(result._meta?.["gatehouse/approval_id"], textOf(result));
    assert.equal((await rowsFor("smartlead_pause_lead_by_campaign"))[0]?.decision, "require_approval");
  });
});

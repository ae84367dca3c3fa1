// What runs is exactly what was shown (DESIGN §6): the exact arguments are sealed at rest and wiped
// once they are no longer needed, a row edited in the database never runs, arguments Postgres cannot
// store as text are held and run exactly, and a revoked grant's held calls are cancelled.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { listAuditEvents, listToolCalls } from "../src/audit/index.ts";
import { decide } from "./helpers/approvals.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const UPDATE = "smartlead_update_email_account";
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [UPDATE]: { action: "require_approval", approval: { wait: "ticket" } },
    [RECONNECT]: { action: "require_approval", approval: { wait: "ticket" } },
    smartlead_update_email_account_tag: { action: "require_approval", approval: { wait: "ticket", timeout: "1s" } },
  },
};
const APPROVALS = { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 2, heartbeatSeconds: 0.2, maxWaitSeconds: 5 };

describe(`held-call integrity (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let gw: TestGateway;
  let token: string;
  const row = async (id: string) =>
    (await gw.instance.database.pool.query<{ args: unknown; args_sealed: string | null; args_redacted: unknown; status: string; error: string | null }>("SELECT args, args_sealed, args_redacted, status, error FROM approvals WHERE id = $1", [id])).rows[0]!;
  const ask = async (tool: string, args: Record<string, unknown>, agentToken = token) => {
    const client = await gw.connect(agentToken);
    const ticket = (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
    return { client, id: ticket._meta?.["gatehouse/approval_id"] as string, ticket };
  };

  before(async () => {
    upstream = await startCountingUpstream();
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, extraConfig: { approvals: APPROVALS } });
    token = await gw.createToken("integrity-agent");
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  it("keeps the exact arguments only sealed, and wipes them once the call ran", async () => {
    const secret = "sk_live_51HvQzLxKq9mB3vT7yR2wP8nD";
    const { client, id } = await ask(UPDATE, { email_account_id: 501, name: "Sealed", password: secret });
    const stored = await row(id);
    assert.equal(stored.args, null, "no clear-text arguments column");
    assert.ok(stored.args_sealed?.startsWith("v1."), "sealed with AES-256-GCM");
    assert.doesNotMatch(stored.args_sealed!, /Sealed|sk_live/);
    assert.doesNotMatch(JSON.stringify(stored.args_redacted), /sk_live_51/, "the redacted form hides the secret");

    await decide(gw, id, "approve");
    const result = await client.callTool({ name: UPDATE, arguments: { email_account_id: 501, name: "Sealed", password: secret } });
    assert.equal(result.isError, undefined, textOf(result));
    const after = await row(id);
    assert.equal(after.status, "succeeded");
    assert.equal(after.args_sealed, null, "wiped once claimed");
    assert.equal(upstream.server.state.emailAccounts.get(501)?.password, secret, "what ran is exactly what was asked");
  });

  it("wipes the sealed arguments of a denied call", async () => {
    const { id } = await ask(UPDATE, { email_account_id: 505, name: "Denied" });
    await decide(gw, id, "deny");
    assert.equal((await row(id)).args_sealed, null);
  });

  it("never runs a row whose arguments or hash were edited in the database", async () => {
    const before = upstream.runs(RECONNECT);
    const victim = await ask(RECONNECT, { email_account_ids: [502] });
    const donor = await ask(RECONNECT, { email_account_ids: [503, 504] });
    // Someone with database access swaps in the sealed arguments of another call...
    await gw.instance.database.pool.query("UPDATE approvals SET args_sealed = (SELECT args_sealed FROM approvals WHERE id = $2) WHERE id = $1", [victim.id, donor.id]);
    await decide(gw, victim.id, "approve");
    const refused = await victim.client.callTool({ name: RECONNECT, arguments: { email_account_ids: [502] } });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /Refused to run: the stored arguments no longer match what the reviewer approved/);
    assert.equal((await row(victim.id)).status, "failed");

    // ...or rewrites the binding hash to the hash of other arguments.
    await gw.instance.database.pool.query("UPDATE approvals SET args_hash = (SELECT args_hash FROM approvals WHERE id = $2) WHERE id = $1", [donor.id, victim.id]);
    await decide(gw, donor.id, "approve");
    await gw.instance.approvals.runtime.reap();
    const follow = await donor.client.callTool({ name: "gatehouse_approval_status", arguments: { id: donor.id } });
    assert.match(textOf(follow), /Refused to run/);
    assert.equal(upstream.runs(RECONNECT), before, "neither edited row reached the upstream");
    const refusals = await listAuditEvents(gw.instance.database, { type: "approval.refused", limit: 10 });
    assert.equal(refusals.rows.length, 2, "each refusal is audited");
  });

  it("holds, audits and runs arguments with NUL and lone surrogates exactly as sent", async () => {
    const name = "Ops\u0000Team \ud800 done";
    const { client, id } = await ask(UPDATE, { email_account_id: 505, name });
    assert.ok(id, "the approval was recorded");
    const { rows } = await listToolCalls(gw.instance.database, { tool: UPDATE, limit: 50 });
    assert.ok(rows.some((r) => r.status === "pending_approval"), "the held call has its audit row");
    assert.deepEqual((await row(id)).args_redacted, { email_account_id: 505, name: "Ops\\u0000Team \\ud800 done" }, "the redacted form shows them escaped");
    await decide(gw, id, "approve");
    const result = await client.callTool({ name: UPDATE, arguments: { email_account_id: 505, name } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(upstream.server.state.emailAccounts.get(505)?.from_name, name, "the upstream got the exact characters");
  });

  it("cancels the open approvals of a revoked grant, and an approved one never runs", async () => {
    const revokedToken = await gw.createToken("revoked-agent");
    const before = upstream.runs(RECONNECT);
    const pending = await ask(RECONNECT, { email_account_ids: [504] }, revokedToken);
    const approved = await ask(RECONNECT, { email_account_ids: [505] }, revokedToken);
    await decide(gw, approved.id, "approve");
    await gw.instance.grants.revoke("revoked-agent");
    await gw.instance.approvals.runtime.reap();
    for (const id of [pending.id, approved.id]) {
      const ended = await gw.instance.approvals.repo.get(id);
      assert.equal(ended?.status, "cancelled");
      assert.equal(ended?.decisionReason, "the agent's grant was revoked");
    }
    assert.equal(upstream.runs(RECONNECT), before);
  });

  it("keeps an approval decided at its deadline claimable for the grace period", async () => {
    const { client, id } = await ask("smartlead_update_email_account_tag", { email_account_id: 502, tag: "late" });
    const original = (await gw.instance.approvals.repo.get(id))!.expiresAt;
    await decide(gw, id, "approve");
    await waitUntil(async () => Date.now(), (now) => now > original.getTime() + 200);
    const result = await client.callTool({ name: "smartlead_update_email_account_tag", arguments: { email_account_id: 502, tag: "late" } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(upstream.server.state.emailAccounts.get(502)?.tag, "late");
  });
});

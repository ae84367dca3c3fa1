// The audit routes an auditor uses over the API: one call's whole story, verify (head, expected head,
// rows against their events) and the signed checkpoints with the key that checks them; approvals carry
// their chain check. Through the real app, with calls made by an MCP client and rows edited by SQL the way
// someone with database access would.
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { approvalAuditEntry } from "../src/approvals/audit.ts";
import { checkApprovalsSettled, checkpointMessage, createAuditWriter, type SignedCheckpoint } from "../src/audit/index.ts";
import { ADMIN_TOKEN, decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const GET_ACCOUNT = "smartlead_get_email_account_by_id";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval", approval: { timeout: "10m", wait: "ticket" } } } };

interface Problem {
  code: string;
  detail: string;
}

describe(`audit routes of the admin API (${storageLabel()})`, () => {
  let gw: TestGateway;
  let reviewerToken: string;
  let allowedCallId: string;
  let heldCallId: string;
  let approvalId: string;

  async function get<T = Record<string, unknown>>(path: string, token = ADMIN_TOKEN): Promise<{ status: number; body: T }> {
    const response = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T };
  }
  const sql = (text: string, params: unknown[] = []) => gw.instance.database.pool.query(text, params);

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    reviewerToken = await gw.createReviewer("auditor");
    const agent = await gw.connect(await gw.createToken("audit-api-agent"));
    const allowed = (await agent.callTool({ name: GET_ACCOUNT, arguments: { email_account_id: 501 } })) as CallToolResult;
    assert.notEqual(allowed.isError, true, JSON.stringify(allowed.content));
    allowedCallId = (await sql("SELECT id FROM tool_calls WHERE tool = $1 ORDER BY created_at DESC LIMIT 1", [GET_ACCOUNT])).rows[0].id as string;
    const created = nextApproval(gw);
    await agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [41] } });
    const approval = await created;
    approvalId = approval.id;
    heldCallId = approval.callId;
    const decided = nextApproval(gw, "approved", approvalId);
    await decide(gw, approvalId, "approve", { token: reviewerToken, reason: "checked the account" });
    await decided;
    await agent.close();
  });
  after(() => gw.close());

  it("tells one call's whole story, with the chain's verdict; an unknown id is a 404 problem", async () => {
    const allowed = await get<{ asked: { tool: string; grant: string }; decision: { decision: string }; arguments: { redacted: Record<string, unknown> }; chain: { ok: boolean }; integrity: { ok: boolean } }>(`/api/audit/calls/${allowedCallId}`, reviewerToken);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.asked.tool, GET_ACCOUNT);
    assert.equal(allowed.body.asked.grant, "audit-api-agent");
    assert.equal(allowed.body.decision.decision, "allow");
    assert.equal(allowed.body.arguments.redacted.email_account_id, 501);
    assert.equal(allowed.body.chain.ok, true);
    assert.equal(allowed.body.integrity.ok, true);

    const held = await get<{ approval: { id: string; votes: Array<{ voter: string; vote: string; reason: string | null }> } }>(`/api/audit/calls/${heldCallId}`);
    assert.equal(held.status, 200);
    assert.equal(held.body.approval.id, approvalId);
    assert.deepEqual(
      held.body.approval.votes.map((v) => [v.voter, v.vote, v.reason]),
      [["reviewer:auditor", "approve", "checked the account"]],
    );

    const missing = await get<Problem>("/api/audit/calls/00000000-0000-4000-8000-000000000000");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "not_found");
  });

  it("verifies the chain and the rows, reports the head, and checks an expected head", async () => {
    const first = await get<{ ok: boolean; head: { seq: number; hash: string }; problems: string[]; trustedKeyIds: string[] }>("/api/audit/verify", reviewerToken);
    assert.equal(first.status, 200);
    assert.equal(first.body.ok, true, first.body.problems.join("\n"));
    assert.ok(first.body.head.seq > 0);
    assert.match(first.body.head.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(first.body.trustedKeyIds, [gw.instance.auditCheckpoints.keyId]);

    const same = await get<{ ok: boolean; expectedHead: { ok: boolean } }>(`/api/audit/verify?expectHead=${first.body.head.seq}:${first.body.head.hash}`);
    assert.equal(same.body.ok, true);
    assert.equal(same.body.expectedHead.ok, true);

    const ahead = await get<{ ok: boolean; problems: string[] }>(`/api/audit/verify?expectHead=${first.body.head.seq + 1000}:${first.body.head.hash}`);
    assert.equal(ahead.body.ok, false);
    assert.match(ahead.body.problems.join("\n"), /expected head: the chain ends at seq \d+, before seq \d+: the newest events were deleted \(truncated\)/);

    const bad = await get<Problem>("/api/audit/verify?expectHead=yesterday");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "invalid_query");
    assert.match(bad.body.detail, /<seq>:<hash>/);
  });

  it("lists signed checkpoints with the public key that verifies them", async () => {
    await gw.instance.auditCheckpoints.checkpointer!.checkpoint({ force: true });
    const answer = await get<{ publicKey: { keyId: string; pem: string }; checkpoints: SignedCheckpoint[] }>("/api/audit/checkpoints", reviewerToken);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.publicKey.keyId, gw.instance.auditCheckpoints.keyId);
    const [newest] = answer.body.checkpoints;
    assert.ok(newest, "the forced checkpoint is listed");
    const key = createPublicKey(answer.body.publicKey.pem);
    assert.equal(verify(null, Buffer.from(checkpointMessage(newest)), key, Buffer.from(newest.signature, "base64")), true, "the listed key verifies the signature");
  });

  it("does not flag an approval whose row changed a moment before its event committed", async () => {
    const agent = await gw.connect(await gw.createToken("settling-agent"));
    const created = nextApproval(gw);
    await agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [43] } });
    const pending = await created;
    await agent.close();
    // What a decision does: the row changes, then its event is recorded; a listing can land in between.
    await sql("UPDATE approvals SET status = 'denied', decided_by = 'admin', decision_reason = 'not now', decided_at = now() WHERE id = $1", [pending.id]);
    const denied = (await gw.instance.approvals.repo.get(pending.id))!;
    const writer = createAuditWriter({ database: gw.instance.database });
    const recorded = writer.record(approvalAuditEntry(denied, "approval.denied", "admin"));
    const checked = await checkApprovalsSettled(gw.instance.database, writer, [pending.id]);
    await recorded;
    assert.deepEqual(checked.get(pending.id)?.integrity.problems, []);
    assert.equal(checked.get(pending.id)?.approval.status, "denied");
    await writer.close();
  });

  it("flags approvals and calls whose rows were edited by SQL, in the approval, the story and verify", async () => {
    const before = await get<{ integrity: { ok: boolean } }>(`/api/approvals/${approvalId}`);
    assert.equal(before.body.integrity.ok, true);

    await sql("UPDATE approvals SET decided_by = 'reviewer:mallory' WHERE id = $1", [approvalId]);
    await sql(`UPDATE tool_calls SET status = 'failed' WHERE id = $1`, [allowedCallId]);

    const approval = await get<{ decidedBy: string; integrity: { ok: boolean; problems: string[] } }>(`/api/approvals/${approvalId}`);
    assert.equal(approval.body.integrity.ok, false);
    assert.match(approval.body.integrity.problems.join("\n"), /mallory/);
    const listed = await get<{ approvals: Array<{ id: string; integrity: { ok: boolean } }> }>("/api/approvals");
    assert.equal(listed.body.approvals.find((a) => a.id === approvalId)?.integrity.ok, false);

    const story = await get<{ integrity: { ok: boolean; problems: string[] } }>(`/api/audit/calls/${allowedCallId}`);
    assert.equal(story.body.integrity.ok, false);
    assert.match(story.body.integrity.problems.join("\n"), /status/);

    const report = await get<{ ok: boolean; problems: string[] }>("/api/audit/verify");
    assert.equal(report.body.ok, false);
    const problems = report.body.problems.join("\n");
    assert.match(problems, new RegExp(`approvals ${approvalId}: `));
    assert.match(problems, new RegExp(`tool_calls ${allowedCallId}: `));
  });
});

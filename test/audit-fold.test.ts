// How rows are checked against the chain, below the gateway: the writer's snapshot, the fold that mirrors
// its upsert, a chain written by an older version (events without snapshots) that must keep verifying and be
// reported as partly unverified, and the bounded, redacted summary of an upstream's answer.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  canonicalJson,
  chainHash,
  createAuditWriter,
  GENESIS_HASH,
  getCallStory,
  listToolCalls,
  RESULT_TEXT_LIMIT,
  summarizeResult,
  verifyAudit,
  type ToolCallInput,
} from "../src/audit/index.ts";
import type { Database } from "../src/db/index.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

let test: TestDatabase;
let database: Database;
before(async () => {
  test = await openTestDatabase({ schemaPrefix: "gh_audit_fold" });
  database = test.database;
});
after(() => test.close());

const call = (id: string, overrides: Partial<ToolCallInput> = {}): ToolCallInput => ({
  id,
  grantName: "agent-1",
  sessionId: "session-1",
  upstream: "smartlead",
  tool: "smartlead_get_campaign",
  argsRedacted: { campaign_id: 7 },
  argsHash: "a".repeat(64),
  decision: "allow",
  rule: "/tools/smartlead_get_*",
  reason: null,
  status: "forwarded",
  ...overrides,
});

describe("rows written by this version", () => {
  it("every event carries the row it wrote; the fold follows the upsert (first record's arguments, last status, kept values)", async () => {
    const writer = createAuditWriter({ database });
    const id = randomUUID();
    await writer.record({ event: { type: "call.allowed", actor: "grant:agent-1" }, call: call(id) });
    // A second record with other arguments: the upsert keeps the first ones, and so does the fold.
    await writer.record({ event: { type: "call.succeeded", actor: "grant:agent-1" }, call: call(id, { status: "succeeded", argsRedacted: { campaign_id: 8 }, rule: null, durationMs: 42, finishedAt: new Date() }) });
    await writer.close();
    const { rows: events } = await database.pool.query<{ data: { call: Record<string, unknown> } }>("SELECT data FROM audit_events WHERE call_id = $1 ORDER BY seq", [id]);
    assert.deepEqual(events[0]?.data.call.argsRedacted, { campaign_id: 7 });
    assert.equal(events[1]?.data.call.status, "succeeded");
    const [row] = (await listToolCalls(database, { limit: 1000 })).rows.filter((r) => r.id === id);
    assert.deepEqual(row?.integrity, { ok: true, problems: [], unverified: [] });
    assert.deepEqual(row?.argsRedacted, { campaign_id: 7 });
    assert.equal(row?.rule, "/tools/smartlead_get_*", "a later null never blanks a value out");
    assert.equal(row?.durationMs, 42);
  });

  it("a row with no events at all is a problem, and so is an event whose row is gone", async () => {
    const inserted = randomUUID();
    await database.pool.query(
      `INSERT INTO tool_calls (id, grant_name, session_id, upstream, tool, args_redacted, args_hash, decision, status) VALUES ($1, 'ghost', 's', 'smartlead', 't', '{}', 'h', 'allow', 'succeeded')`,
      [inserted],
    );
    const [row] = (await listToolCalls(database, { grant: "ghost" })).rows;
    assert.equal(row?.integrity.ok, false);
    assert.match(row?.integrity.problems[0] ?? "", /no intact audit event records this call/);

    const writer = createAuditWriter({ database });
    const lost = randomUUID();
    await writer.record({ event: { type: "call.denied", actor: "grant:agent-1" }, call: call(lost, { decision: "deny", status: "refused" }) });
    await writer.close();
    await database.pool.query("DELETE FROM tool_calls WHERE id = $1", [lost]);
    const report = await verifyAudit(database);
    assert.equal(report.ok, false);
    assert.ok(report.rows?.problems.some((p) => p.table === "tool_calls" && p.id === inserted));
    assert.ok(report.rows?.problems.some((p) => p.table === "tool_calls" && p.id === lost && /tool_calls row is missing/.test(p.problems[0] ?? "")));
    assert.equal(report.chain.ok, true, "the chain itself is intact: only the tables were touched");
    await database.pool.query("DELETE FROM tool_calls WHERE id = $1", [inserted]);
  });
});

describe("a chain written before events carried snapshots", () => {
  const held = randomUUID();
  const approvalId = randomUUID();
  const allowed = randomUUID();

  before(async () => {
    // Exactly what the previous version wrote: events without data.call / data.approval, same hashing.
    const head = await database.pool.query<{ hash: string }>("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    let prev = head.rows[0]?.hash ?? GENESIS_HASH;
    let tick = Date.parse("2025-06-01T12:00:00.000Z");
    const append = async (type: string, actor: string, callId: string, decision: string, rule: string | null, reason: string | null, data: Record<string, unknown>) => {
      const fields = { id: randomUUID(), at: new Date(tick).toISOString(), type, actor, callId, upstream: "smartlead", tool: "smartlead_reconnect", decision, rule, reason, data };
      tick += 1000;
      const hash = chainHash(prev, fields);
      await database.pool.query(
        `INSERT INTO audit_events (id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
        [fields.id, fields.at, type, actor, callId, "smartlead", "smartlead_reconnect", decision, rule, reason, canonicalJson(data), prev, hash],
      );
      prev = hash;
      return fields.at;
    };
    const base = { approvalId, argsHash: "b".repeat(64) };
    const requestedAt = await append("approval.requested", "grant:old-agent", held, "require_approval", "/tools/x", "needs a person", { ...base, status: "pending", decidedBy: null });
    await append("approval.vote", "reviewer:alice", held, "require_approval", "/tools/x", "needs a person", { ...base, status: "pending", decidedBy: null, vote: "approve", reason: "ok by me", via: "reviewer:alice" });
    await append("approval.approved", "reviewer:bob", held, "require_approval", "/tools/x", "2 approvals", { ...base, status: "approved", decidedBy: "reviewer:bob", via: "reviewer:bob" });
    await append("approval.succeeded", "gateway:old", held, "require_approval", "/tools/x", "2 approvals", { ...base, status: "succeeded", decidedBy: "reviewer:bob", durationMs: 12 });
    const allowedAt = await append("call.allowed", "grant:old-agent", allowed, "allow", "/tools/y", null, { sessionId: "s-old", argsHash: "c".repeat(64) });
    await append("call.succeeded", "grant:old-agent", allowed, "allow", "/tools/y", null, { sessionId: "s-old", argsHash: "c".repeat(64), durationMs: 7 });
    const insertCall = (id: string, at: string, values: unknown[]) =>
      database.pool.query(
        `INSERT INTO tool_calls (id, created_at, finished_at, grant_name, session_id, upstream, tool, args_redacted, args_hash, decision, rule, reason, status, duration_ms)
         VALUES ($1, $2, $2, $3, $4, 'smartlead', 'smartlead_reconnect', $5, $6, $7, $8, $9, $10, $11)`,
        [id, at, ...values],
      );
    await insertCall(held, requestedAt, ["old-agent", "s-held", '{"ids":[1]}', "b".repeat(64), "require_approval", "/tools/x", "2 approvals", "succeeded", 12]);
    await insertCall(allowed, allowedAt, ["old-agent", "s-old", '{"ids":[2]}', "c".repeat(64), "allow", "/tools/y", null, "succeeded", 7]);
    await database.pool.query(
      `INSERT INTO approvals (id, call_id, expires_at, status, upstream, tool, exposed_tool, args_redacted, args_hash, grant_name, session_id, rule, reason, spec, hold_mode, decided_by, duration_ms)
       VALUES ($1, $2, now(), 'succeeded', 'smartlead', 'smartlead_reconnect', 'smartlead_reconnect', '{"ids":[1]}', $3, 'old-agent', 's-held', '/tools/x', 'needs a person', '{}', 'hold', 'reviewer:bob', 12)`,
      [approvalId, held, "b".repeat(64)],
    );
    await database.pool.query("INSERT INTO approval_votes (approval_id, voter, vote, reason) VALUES ($1, 'reviewer:alice', 'approve', 'ok by me'), ($1, 'reviewer:bob', 'approve', null)", [approvalId]);
  });

  it("still verifies, and its rows are checked on what the old events say, the rest named as unverified", async () => {
    const { rows } = await listToolCalls(database, { grant: "old-agent" });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const plain = byId.get(allowed);
    assert.equal(plain?.integrity.ok, true, plain?.integrity.problems.join("; "));
    assert.deepEqual(plain?.integrity.unverified, ["finish time", "arguments"]);
    const heldRow = byId.get(held);
    assert.equal(heldRow?.integrity.ok, true, heldRow?.integrity.problems.join("; "));
    assert.ok(heldRow?.integrity.unverified.includes("arguments"));
    assert.ok(heldRow?.integrity.unverified.includes("session"), "old approval events did not record the session");
    assert.ok(heldRow?.integrity.unverified.includes("reason of reviewer:bob's vote"));
    assert.deepEqual(
      heldRow?.approval?.votes.map((v) => [v.voter, v.vote, v.reason]).sort(),
      [
        ["reviewer:alice", "approve", "ok by me"],
        ["reviewer:bob", "approve", null],
      ],
    );
    const report = await verifyAudit(database);
    assert.equal(report.chain.ok, true, "old chains keep verifying");
  });

  it("and an edit of what the old events do record is still caught", async () => {
    await database.pool.query("UPDATE tool_calls SET status = 'failed', duration_ms = 9999 WHERE id = $1", [allowed]);
    await database.pool.query("UPDATE approvals SET decided_by = 'reviewer:mallory' WHERE id = $1", [approvalId]);
    await database.pool.query("UPDATE approval_votes SET vote = 'deny' WHERE approval_id = $1 AND voter = 'reviewer:alice'", [approvalId]);
    const story = await getCallStory(database, allowed);
    assert.deepEqual(story?.integrity.problems, ['status: the tool_calls row says "failed", the audit chain says "succeeded"', "duration: the tool_calls row says 9999, the audit chain says 7"]);
    const heldStory = await getCallStory(database, held);
    const problems = heldStory?.integrity.problems.join("\n") ?? "";
    assert.match(problems, /decided by: the approvals row says "reviewer:mallory", the audit chain says "reviewer:bob"/);
    assert.match(problems, /reviewer:alice voted approve according to the audit chain, the table says deny/);
  });
});

describe("summarizeResult", () => {
  it("keeps the start of the text, redacted, and says how much there was", () => {
    const secret = "ghp_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7d";
    const summary = summarizeResult({ content: [{ type: "text", text: `token ${secret}` }, { type: "image", data: "", mimeType: "image/png" }], structuredContent: { ok: true } });
    assert.deepEqual(summary, { isError: false, text: "token [REDACTED]", isTruncated: false, textLength: 6 + secret.length, content: { text: 1, image: 1 }, hasStructuredContent: true });
  });

  it("cuts long text at the limit without splitting a character, and redacts a secret that crosses the cut", () => {
    const long = summarizeResult({ isError: true, content: [{ type: "text", text: "x".repeat(RESULT_TEXT_LIMIT - 1) + "😀" + "y".repeat(5000) }] });
    assert.equal(long.isError, true);
    assert.equal(long.isTruncated, true);
    assert.equal(long.text, "x".repeat(RESULT_TEXT_LIMIT - 1), "the emoji's surrogate pair is not split");
    assert.equal(long.textLength, RESULT_TEXT_LIMIT + 1 + 5000);
    const crossing = summarizeResult({ content: [{ type: "text", text: `${"a ".repeat((RESULT_TEXT_LIMIT - 10) / 2)}sk-ant-api03-${"Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz".repeat(2)} end` }] });
    assert.ok(!crossing.text.includes("Zx9Q"), crossing.text.slice(-40));
    assert.ok(crossing.text.length <= RESULT_TEXT_LIMIT);
  });
});

import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chainHash, createAuditWriter, GENESIS_HASH, verifyAuditChain, type AuditEntry, type ToolCallInput } from "../src/audit/index.ts";
import { commitBatch } from "../src/audit/commit.ts";
import { prepareEntry } from "../src/audit/entry.ts";
import { connectDatabase, type Database } from "../src/db/index.ts";
import { isGatewayError } from "../src/errors.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

const event = (type: string, data: Record<string, unknown> = {}): AuditEntry => ({ event: { type, actor: "system", data } });

function call(id: string, overrides: Partial<ToolCallInput> = {}): ToolCallInput {
  return {
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
  };
}

interface StoredRow {
  seq: string;
  id: string;
  created_at: Date;
  type: string;
  actor: string;
  call_id: string | null;
  upstream: string | null;
  tool: string | null;
  decision: string | null;
  rule: string | null;
  reason: string | null;
  data: unknown;
  prev_hash: string;
  hash: string;
}

async function countEvents(database: Database, type: string): Promise<number> {
  const { rows } = await database.pool.query<{ n: string }>("SELECT count(*) AS n FROM audit_events WHERE type = $1", [type]);
  return Number(rows[0]?.n);
}

async function assertAuditUnavailable(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isGatewayError(error), `expected a GatewayError, got ${String(error)}`);
    assert.equal(error.code, "audit_unavailable");
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** As an attacker with SQL access would: switch the append-only trigger off around the statement. */
async function tamper(database: Database, statement: string, params: unknown[] = []): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete");
    await client.query(statement, params);
  } finally {
    await client.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete");
    client.release();
  }
}

let test: TestDatabase;
let database: Database;
before(async () => {
  test = await openTestDatabase({ schemaPrefix: "gh_audit_writer" });
  database = test.database;
});
after(() => test.close());

describe("audit writer: group commit and hash chain", () => {
  it("commits concurrent records from two writers into one chain that verifies", async () => {
    const first = createAuditWriter({ database });
    const second = createAuditWriter({ database });
    const records: Promise<void>[] = [];
    for (let i = 0; i < 150; i++) records.push((i % 2 ? first : second).record(event("test.concurrent", { i })));
    // and some that arrive while batches are already in flight
    for (let i = 150; i < 200; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      records.push((i % 2 ? first : second).record(event("test.concurrent", { i })));
    }
    await Promise.all(records);
    assert.equal(await countEvents(database, "test.concurrent"), 200);
    const batches = first.status().batchesCommitted + second.status().batchesCommitted;
    assert.equal(first.status().entriesCommitted + second.status().entriesCommitted, 200);
    assert.ok(batches < 200, `group commit: ${batches} transactions for 200 entries`);
    const verdict = await verifyAuditChain(database, { batchSize: 37 });
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.ok(verdict.ok && verdict.checked >= 200);
    await Promise.all([first.close(), second.close()]);
  });

  it("keeps one chain when four writers commit batches at the same moments, round after round", async () => {
    // Each round every writer sends a batch at once; without the chain lock two of them would read the
    // same head and both append on it (a fork the verification names).
    const writers = Array.from({ length: 4 }, () => createAuditWriter({ database }));
    for (let round = 0; round < 25; round++) {
      await Promise.all(writers.flatMap((writer, w) => [0, 1, 2].map((i) => writer.record(event("test.rounds", { round, w, i })))));
    }
    assert.equal(await countEvents(database, "test.rounds"), 4 * 25 * 3);
    const verdict = await verifyAuditChain(database);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    await Promise.all(writers.map((writer) => writer.close()));
  });

  it("after the quick path missed, appends in one locked transaction on the head it found", async () => {
    // No quick attempts and a head that is not the chain's: the transaction's first call misses and says
    // where the chain ends, the second (the lock still held) appends there.
    const entries = [0, 1, 2].map((i) => prepareEntry({ event: { type: "test.locked", actor: "system", data: { i } }, call: call(randomUUID(), { status: "forwarded" }) }, new Date()));
    const head = await commitBatch(database, entries, 5_000, "f".repeat(64), { swiftAttempts: 0 });
    const { rows } = await database.pool.query<{ hash: string; data: { i: number } }>("SELECT hash, data FROM audit_events WHERE type = 'test.locked' ORDER BY seq");
    assert.deepEqual(rows.map((r) => r.data.i), [0, 1, 2]);
    assert.equal(head, rows[2]!.hash);
    const calls = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM tool_calls WHERE id = ANY($1::uuid[])", [entries.map((e) => e.call!.id)]);
    assert.equal(calls.rows[0]!.n, 3);
    const verdict = await verifyAuditChain(database);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  });

  it("resolves record only once the row is committed and visible to other connections", async () => {
    const writer = createAuditWriter({ database });
    const type = `test.visible.${randomUUID()}`;
    await writer.record(event(type));
    assert.equal(await countEvents(database, type), 1);
    await writer.close();
  });

  it("stores awkward data so that the chain still verifies", async () => {
    const writer = createAuditWriter({ database });
    const data = {
      nul: "a\u0000b",
      loneSurrogate: "x\uD800y",
      emoji: "🔐 ключ",
      numbers: [0.1 + 0.2, 1e21, -0, 2 ** 53, 1e-7],
      nested: { z: 1, a: [null, true, { b: "c" }] },
      when: new Date("2025-01-02T03:04:05.678Z"),
      skipped: undefined,
      // SQL quoting: none of this may end a literal early or change the text (the batch travels as a
      // parameter; it travelled as a dollar-quoted literal before).
      quotes: `it's "$$" $gh$ $gh0123456789abcdef$ \\' \\\\ ''; SELECT 1; --`,
      [`key $gh$'`]: "$gh$",
    };
    await writer.record({ event: { type: "test.awkward", actor: "system", reason: "line\nbreak\u0000", data } });
    await writer.close();
    const { rows } = await database.pool.query<{ data: Record<string, unknown>; reason: string }>("SELECT data, reason FROM audit_events WHERE type = 'test.awkward'");
    assert.equal(rows[0]?.reason, "line\nbreak\\u0000");
    assert.equal(rows[0]?.data.nul, "a\\u0000b");
    assert.equal(rows[0]?.data.loneSurrogate, "x\\ud800y");
    assert.equal(rows[0]?.data.when, "2025-01-02T03:04:05.678Z");
    assert.ok(!("skipped" in (rows[0]?.data ?? {})));
    assert.equal(rows[0]?.data.quotes, data.quotes);
    assert.equal(rows[0]?.data[`key $gh$'`], "$gh$");
    assert.deepEqual((await verifyAuditChain(database)).ok, true);
  });

  it("links the first row to the genesis hash and each row to the one before", async () => {
    const { rows } = await database.pool.query<{ prev_hash: string; hash: string }>("SELECT prev_hash, hash FROM audit_events ORDER BY seq LIMIT 3");
    assert.equal(rows[0]?.prev_hash, GENESIS_HASH);
    assert.equal(rows[1]?.prev_hash, rows[0]?.hash);
    assert.equal(rows[2]?.prev_hash, rows[1]?.hash);
  });

  it("refuses a plain UPDATE, DELETE or TRUNCATE of audit_events", async () => {
    await assert.rejects(database.pool.query("UPDATE audit_events SET reason = 'edited'"), /audit_events is append-only \(UPDATE refused\)/);
    await assert.rejects(database.pool.query("DELETE FROM audit_events"), /audit_events is append-only \(DELETE refused\)/);
    await assert.rejects(database.pool.query("TRUNCATE audit_events"), /audit_events is append-only \(TRUNCATE refused\)/);
    assert.equal((await verifyAuditChain(database)).ok, true);
  });

  it("names an edited row (stored hash no longer matches) and passes again once it is restored", async () => {
    const { rows } = await database.pool.query<{ seq: string; id: string; data: unknown }>("SELECT seq, id, data FROM audit_events ORDER BY seq OFFSET 41 LIMIT 1");
    const target = rows[0];
    assert.ok(target);
    await tamper(database, "UPDATE audit_events SET data = '{\"i\": -1}' WHERE seq = $1", [target.seq]);
    const verdict = await verifyAuditChain(database, { batchSize: 10 });
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok);
    assert.deepEqual(verdict.brokenAt, { seq: Number(target.seq), id: target.id });
    assert.equal(verdict.checked, 41);
    assert.equal(verdict.problem, `row seq ${target.seq} (id ${target.id}): stored hash does not match its contents — edited after it was written`);

    await tamper(database, "UPDATE audit_events SET data = $2 WHERE seq = $1", [target.seq, JSON.stringify(target.data)]);
    assert.equal((await verifyAuditChain(database)).ok, true);
  });

  it("names the row after an edit whose hash was recomputed to hide it", async () => {
    const { rows } = await database.pool.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_events ORDER BY seq OFFSET 10 LIMIT 2");
    const [edited, next] = rows;
    assert.ok(edited && next);
    await tamper(database, "UPDATE audit_events SET actor = 'admin', hash = $2 WHERE seq = $1", [edited.seq, "f".repeat(64)]);
    const verdict = await verifyAuditChain(database);
    assert.ok(!verdict.ok);
    assert.equal(verdict.brokenAt.seq, Number(edited.seq), "the forged hash itself does not match the row");
    // Make the forged row self-consistent: only the link from the next row can reveal it now.
    const forged = (await database.pool.query("SELECT * FROM audit_events WHERE seq = $1", [edited.seq])).rows[0] as StoredRow;
    const rehashed = chainHash(forged.prev_hash, {
      id: forged.id,
      at: forged.created_at.toISOString(),
      type: forged.type,
      actor: forged.actor,
      callId: forged.call_id,
      upstream: forged.upstream,
      tool: forged.tool,
      decision: forged.decision,
      rule: forged.rule,
      reason: forged.reason,
      data: forged.data,
    });
    await tamper(database, "UPDATE audit_events SET hash = $2 WHERE seq = $1", [edited.seq, rehashed]);
    const relinked = await verifyAuditChain(database);
    assert.ok(!relinked.ok);
    assert.equal(relinked.brokenAt.seq, Number(next.seq));
    assert.match(relinked.problem, new RegExp(`^row seq ${next.seq} \\(id .+\\): prev_hash does not match row seq ${edited.seq}'s hash`));

    await tamper(database, "UPDATE audit_events SET actor = 'system', hash = $2 WHERE seq = $1", [edited.seq, edited.hash]);
    assert.equal((await verifyAuditChain(database)).ok, true);
  });

  it("names the row after a deleted one (trigger bypassed with session_replication_role)", async () => {
    const { rows } = await database.pool.query<Record<string, unknown> & { seq: string }>("SELECT * FROM audit_events ORDER BY seq OFFSET 20 LIMIT 2");
    const [deleted, next] = rows;
    assert.ok(deleted && next);
    const client = await database.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL session_replication_role = replica");
      await client.query("DELETE FROM audit_events WHERE seq = $1", [deleted.seq]);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const verdict = await verifyAuditChain(database);
    assert.ok(!verdict.ok);
    assert.deepEqual(verdict.brokenAt, { seq: Number(next.seq), id: next.id });
    const previousSeq = Number(deleted.seq) - 1;
    assert.equal(
      verdict.problem,
      `row seq ${next.seq} (id ${String(next.id)}): prev_hash does not match row seq ${previousSeq}'s hash — a row before it was deleted or changed`,
    );

    const columns = Object.keys(deleted);
    await database.pool.query(
      `INSERT INTO audit_events (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
      columns.map((c) => (c === "data" ? JSON.stringify(deleted[c]) : deleted[c])),
    );
    assert.equal((await verifyAuditChain(database)).ok, true);
  });

  it("reports a deleted first row against the genesis value", async () => {
    const { rows } = await database.pool.query<Record<string, unknown> & { seq: string; id: string }>("SELECT * FROM audit_events ORDER BY seq LIMIT 2");
    const [first, second] = rows;
    assert.ok(first && second);
    await tamper(database, "DELETE FROM audit_events WHERE seq = $1", [first.seq]);
    const verdict = await verifyAuditChain(database);
    assert.ok(!verdict.ok);
    assert.equal(verdict.checked, 0);
    assert.deepEqual(verdict.brokenAt, { seq: Number(second.seq), id: second.id });
    assert.match(verdict.problem, /it is the first row but its prev_hash is not the genesis value/);
    const columns = Object.keys(first);
    await database.pool.query(
      `INSERT INTO audit_events (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
      columns.map((c) => (c === "data" ? JSON.stringify(first[c]) : first[c])),
    );
    assert.equal((await verifyAuditChain(database)).ok, true);
  });

  it("keeps one tool_calls row per call holding its final state", async () => {
    const writer = createAuditWriter({ database });
    const id = randomUUID();
    const createdAt = new Date("2025-03-01T10:00:00.123Z");
    await writer.record({ event: { type: "call.allowed", actor: "grant:agent-1", callId: id }, call: call(id, { createdAt }) });
    const finishedAt = new Date("2025-03-01T10:00:01.456Z");
    await writer.record({
      event: { type: "call.failed", actor: "grant:agent-1", callId: id },
      call: call(id, { status: "failed", rule: null, durationMs: 1333.4, error: "upstream said: token sk-abcdefghijklmnop1234 expired", finishedAt, createdAt: new Date() }),
    });
    const { rows } = await database.pool.query("SELECT * FROM tool_calls WHERE id = $1", [id]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, "failed");
    assert.equal(rows[0].duration_ms, 1333);
    assert.equal(rows[0].rule, "/tools/smartlead_get_*", "a later record does not blank out the rule");
    assert.equal(rows[0].error, "upstream said: token [REDACTED] expired");
    assert.deepEqual(rows[0].created_at, createdAt, "created_at is the first record's");
    assert.deepEqual(rows[0].finished_at, finishedAt);
    assert.equal(await countEventsForCall(database, id), 2);
    await writer.close();
  });

  it("merges two records of one call that land in the same batch, later state winning", async () => {
    const writer = createAuditWriter({ database });
    const id = randomUUID();
    await Promise.all([
      writer.record({ event: { type: "call.allowed", actor: "grant:agent-1" }, call: call(id) }),
      writer.record({ event: { type: "call.succeeded", actor: "grant:agent-1" }, call: call(id, { status: "succeeded", durationMs: 5, finishedAt: new Date() }) }),
    ]);
    const { rows } = await database.pool.query("SELECT status, duration_ms FROM tool_calls WHERE id = $1", [id]);
    assert.deepEqual(rows, [{ status: "succeeded", duration_ms: 5 }]);
    assert.equal(await countEventsForCall(database, id), 2, "the event takes its callId from the call");
    await writer.close();
  });

  it("stores arguments redacted even when the caller passed them raw", async () => {
    const writer = createAuditWriter({ database });
    const id = randomUUID();
    await writer.record({ event: { type: "call.allowed", actor: "grant:agent-1" }, call: call(id, { argsRedacted: { password: "hunter2", campaign_id: 7 } }) });
    const { rows } = await database.pool.query("SELECT args_redacted FROM tool_calls WHERE id = $1", [id]);
    assert.deepEqual(rows[0].args_redacted, { password: "[REDACTED]", campaign_id: 7 });
    await writer.close();
  });

  it("refuses a malformed entry on its own without failing the batch it would have joined", async () => {
    const writer = createAuditWriter({ database });
    const type = `test.batchmate.${randomUUID()}`;
    const [bad, good] = await Promise.allSettled([
      writer.record({ event: { type: "call.allowed", actor: "grant:x", callId: "not-a-uuid" } }),
      writer.record(event(type)),
    ]);
    assert.equal(bad.status, "rejected");
    assert.ok(bad.status === "rejected" && isGatewayError(bad.reason) && bad.reason.code === "internal");
    assert.match(String((bad as PromiseRejectedResult).reason.message), /event\.callId must be a UUID/);
    assert.equal(good.status, "fulfilled");
    assert.equal(await countEvents(database, type), 1);
    await writer.close();
  });

  it("commits a row recorded for later with the next row recorded now, in one transaction, in the order recorded", async () => {
    const writer = createAuditWriter({ database });
    const outcomeType = `test.later.${randomUUID()}`;
    const decisionType = `test.now.${randomUUID()}`;
    const outcome = writer.recordLater(event(outcomeType));
    await writer.record(event(decisionType));
    await outcome;
    assert.deepEqual([writer.status().batchesCommitted, writer.status().entriesCommitted], [1, 2], "both rows in one commit");
    const { rows } = await database.pool.query<{ type: string }>("SELECT type FROM audit_events WHERE type IN ($1, $2) ORDER BY seq", [outcomeType, decisionType]);
    assert.deepEqual(rows.map((r) => r.type), [outcomeType, decisionType]);
    await writer.close();
  });

  it("commits a row recorded for later on its own when nothing comes to ride with", async () => {
    const writer = createAuditWriter({ database });
    const type = `test.later-alone.${randomUUID()}`;
    await writer.recordLater(event(type));
    assert.equal(await countEvents(database, type), 1);
    assert.equal(writer.status().pending, 0);
    await writer.close();
  });

  it("commits rows recorded for later at once when asked to settle or close", async () => {
    const writer = createAuditWriter({ database });
    const settledType = `test.later-settled.${randomUUID()}`;
    void writer.recordLater(event(settledType));
    assert.equal(writer.status().pending, 1);
    await writer.settled();
    assert.equal(await countEvents(database, settledType), 1);
    const closedType = `test.later-closed.${randomUUID()}`;
    void writer.recordLater(event(closedType));
    await writer.close();
    assert.equal(await countEvents(database, closedType), 1);
  });

  it("flushes on close, is idempotent, and refuses records after close", async () => {
    const writer = createAuditWriter({ database });
    const type = `test.close.${randomUUID()}`;
    const pending = writer.record(event(type));
    await Promise.all([writer.close(), writer.close()]);
    await pending;
    assert.equal(await countEvents(database, type), 1);
    await writer.close();
    await assertAuditUnavailable(writer.record(event(type)), /closed/);
    assert.equal((await verifyAuditChain(database)).ok, true);
  });
});

async function countEventsForCall(database: Database, callId: string): Promise<number> {
  const { rows } = await database.pool.query<{ n: string }>("SELECT count(*) AS n FROM audit_events WHERE call_id = $1", [callId]);
  return Number(rows[0]?.n);
}

/** A TCP hop in front of the database that the test can cut, freeze and restore: an outage, not a fake. */
class NetworkCut {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  isFrozen = false;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((downstream) => {
      const upstream = connect(this.target);
      for (const socket of [downstream, upstream]) {
        this.sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => {
          this.sockets.delete(socket);
          downstream.destroy();
          upstream.destroy();
        });
      }
      downstream.on("data", (chunk: Buffer) => this.isFrozen || upstream.write(chunk));
      upstream.on("data", (chunk: Buffer) => this.isFrozen || downstream.write(chunk));
    });
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

function targetOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

describe("audit writer: Postgres unavailable (fail closed, no crash)", () => {
  it("rejects with audit_unavailable when nothing listens on the database port", async () => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const unreachable = connectDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`);
    const writer = createAuditWriter({ database: unreachable });
    const results = await Promise.allSettled([writer.record(event("test.down")), writer.record(event("test.down"))]);
    for (const result of results) {
      assert.equal(result.status, "rejected");
      assert.ok(result.status === "rejected" && isGatewayError(result.reason) && result.reason.code === "audit_unavailable");
      assert.match(result.reason.message, /Audit log unavailable: could not commit 2 audit entries \(.*ECONNREFUSED/);
    }
    // a later batch tries again (and fails again), rather than the writer giving up or the process dying
    await assertAuditUnavailable(writer.record(event("test.down")), /could not commit 1 audit entries/);
    assert.match(writer.status().lastError ?? "", /ECONNREFUSED/);
    await writer.close();
    await unreachable.close();
  });

  it("fails while the network is cut and commits again once it is back, chain intact", async () => {
    const cut = new NetworkCut(targetOf(test.database.pool.options.connectionString as string));
    await cut.open();
    const viaHop = connectDatabase(new URL(`postgres://postgres@127.0.0.1:${cut.port}${new URL(test.database.pool.options.connectionString as string).pathname}`).href, {
      schema: test.database.schema,
    });
    const writer = createAuditWriter({ database: viaHop });
    await writer.record(event("test.before-outage"));

    await cut.cut();
    await assertAuditUnavailable(writer.record(event("test.during-outage")));
    assert.notEqual(writer.status().lastError, null);

    await cut.open();
    await writer.record(event("test.after-outage"));
    assert.equal(writer.status().lastError, null);
    assert.equal(await countEvents(test.database, "test.during-outage"), 0);
    assert.equal(await countEvents(test.database, "test.after-outage"), 1);
    assert.equal((await verifyAuditChain(test.database)).ok, true);
    await writer.close();
    await viaHop.close();
    await cut.cut();
  });

  it("abandons a commit that gets no answer, rolling it back, and recovers", async () => {
    const cut = new NetworkCut(targetOf(test.database.pool.options.connectionString as string));
    await cut.open();
    const url = `postgres://postgres@127.0.0.1:${cut.port}${new URL(test.database.pool.options.connectionString as string).pathname}`;
    const viaHop = connectDatabase(url, { schema: test.database.schema });
    const writer = createAuditWriter({ database: viaHop, commitTimeoutMs: 300 });
    await writer.record(event("test.before-freeze")); // opens the pooled connection

    cut.isFrozen = true;
    const started = Date.now();
    await assertAuditUnavailable(writer.record(event("test.frozen")), /no answer from PostgreSQL within 300 ms/);
    assert.ok(Date.now() - started < 5_000);
    cut.isFrozen = false;

    await writer.record(event("test.after-freeze"));
    assert.equal(await countEvents(test.database, "test.frozen"), 0);
    assert.equal((await verifyAuditChain(test.database)).ok, true);
    await writer.close();
    await viaHop.close();
    await cut.cut();
  });

  it("refuses what waits behind a commit that got no answer at once, without sending it; later entries try again", async () => {
    const cut = new NetworkCut(targetOf(test.database.pool.options.connectionString as string));
    await cut.open();
    const url = `postgres://postgres@127.0.0.1:${cut.port}${new URL(test.database.pool.options.connectionString as string).pathname}`;
    // One connection: whatever else is sent waits for it, and what comes after waits in the queue.
    const viaHop = connectDatabase(url, { schema: test.database.schema, max: 1 });
    const writer = createAuditWriter({ database: viaHop, commitTimeoutMs: 300 });
    await writer.record(event("test.before-hang"));
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

    cut.isFrozen = true;
    const first = writer.record(event("test.hang-first"));
    await nextTurn();
    const second = writer.record(event("test.hang-second"));
    await nextTurn();
    const behind = [writer.record(event("test.hang-behind")), writer.record(event("test.hang-behind"))];
    for (const promise of [second, ...behind]) promise.catch(() => {});
    assert.equal(writer.status().pending, 4);

    await assertAuditUnavailable(first, /could not commit 1 audit entries \(no answer from PostgreSQL within 300 ms\)/);
    // Refused in the same moment, not after a timeout of their own.
    const [a, b] = await Promise.allSettled(behind);
    for (const result of [a!, b!]) {
      assert.equal(result.status, "rejected");
      assert.match((result as PromiseRejectedResult).reason.message, /^Audit log unavailable: not written, because the commit before it failed \(no answer from PostgreSQL within 300 ms\)\.$/);
    }
    await cut.cut(); // the second batch's connection attempt ends with the hop
    await assertAuditUnavailable(second);
    cut.isFrozen = false;
    await cut.open();

    await writer.record(event("test.after-hang"));
    assert.equal(await countEvents(test.database, "test.hang-behind"), 0);
    assert.equal(await countEvents(test.database, "test.after-hang"), 1);
    assert.equal(writer.status().pending, 0);
    assert.equal((await verifyAuditChain(test.database)).ok, true);
    await writer.close();
    await viaHop.close();
    await cut.cut();
  });

  it("rejects at once when more than maxPending entries are waiting", async () => {
    // A listener that accepts connections and never answers: the first batch hangs in connect.
    const held: Socket[] = [];
    let isRefusing = false;
    const silent = createServer((socket) => (isRefusing ? socket.destroy() : held.push(socket)));
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const stuck = connectDatabase(`postgres://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/postgres`);
    const writer = createAuditWriter({ database: stuck, maxPending: 3 });

    const waiting = [writer.record(event("test.stuck")), writer.record(event("test.stuck")), writer.record(event("test.stuck"))];
    for (const promise of waiting) promise.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(writer.status().pending, 3);
    await assertAuditUnavailable(writer.record(event("test.stuck")), /Audit buffer full: 3 entries are waiting/);

    isRefusing = true;
    for (const socket of held) socket.destroy();
    const settled = await Promise.allSettled(waiting);
    assert.ok(settled.every((s) => s.status === "rejected" && isGatewayError(s.reason) && s.reason.code === "audit_unavailable"));
    assert.equal(writer.status().pending, 0);
    await writer.close();
    await stuck.close();
    await new Promise((resolve) => silent.close(resolve));
  });
});

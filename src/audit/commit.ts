// One batch = one transaction: take the chain lock, read the chain head, append the events with their
// hashes, upsert the tool_calls rows. The advisory lock (scoped to the schema) serialises appends across
// processes and replicas, so seq order is chain order and every prev_hash names the row before it.
import type pg from "pg";
import type { Database } from "../db/index.ts";
import { AUDIT_CHAIN_LOCK_KEY, chainHash, GENESIS_HASH } from "./chain.ts";
import type { PreparedCall, PreparedEntry } from "./entry.ts";

const INSERT_EVENTS = `
  INSERT INTO audit_events (id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash)
  SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])`;

// A later record of the same call fills in its final state; optional columns are never blanked out.
const UPSERT_CALLS = `
  INSERT INTO tool_calls (id, created_at, finished_at, grant_name, session_id, upstream, tool, args_redacted, args_hash,
                          decision, rule, reason, status, duration_ms, error)
  SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::jsonb[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int[], $15::text[])
  ON CONFLICT (id) DO UPDATE SET
    decision = excluded.decision,
    status = excluded.status,
    rule = COALESCE(excluded.rule, tool_calls.rule),
    reason = COALESCE(excluded.reason, tool_calls.reason),
    finished_at = COALESCE(excluded.finished_at, tool_calls.finished_at),
    duration_ms = COALESCE(excluded.duration_ms, tool_calls.duration_ms),
    error = COALESCE(excluded.error, tool_calls.error)`;

/** Commits the batch or throws; after `timeoutMs` without an answer the connection is dropped (rolling back). */
export async function commitBatch(database: Database, entries: PreparedEntry[], timeoutMs: number): Promise<void> {
  const client = await database.pool.connect();
  let brokenBy: Error | undefined;
  // A checked-out pg client with no 'error' listener crashes the process when its socket dies.
  const onClientError = (error: Error) => (brokenBy ??= error);
  client.on("error", onClientError);
  const timer = setTimeout(() => {
    brokenBy ??= new Error(`no answer from PostgreSQL within ${timeoutMs} ms`);
    void client.end().catch(() => {});
  }, timeoutMs);
  try {
    await client.query("BEGIN");
    await appendInTransaction(client, entries);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw brokenBy ?? error;
  } finally {
    clearTimeout(timer);
    client.off("error", onClientError);
    client.release(brokenBy);
  }
}

async function appendInTransaction(client: pg.PoolClient, entries: PreparedEntry[]): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", [AUDIT_CHAIN_LOCK_KEY]);
  const head = await client.query<{ hash: string }>("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  let prevHash = head.rows[0]?.hash ?? GENESIS_HASH;
  const eventRows: unknown[][] = [];
  for (const { event } of entries) {
    const { dataJson, ...fields } = event;
    const hash = chainHash(prevHash, fields);
    eventRows.push([event.id, event.at, event.type, event.actor, event.callId, event.upstream, event.tool, event.decision, event.rule, event.reason, dataJson, prevHash, hash]);
    prevHash = hash;
  }
  await client.query(INSERT_EVENTS, transpose(eventRows, 13));

  const calls = mergeCalls(entries);
  if (calls.length === 0) return;
  const callColumns = calls.map((c) => [c.id, c.createdAt, c.finishedAt, c.grantName, c.sessionId, c.upstream, c.tool, c.argsJson, c.argsHash, c.decision, c.rule, c.reason, c.status, c.durationMs, c.error]);
  await client.query(UPSERT_CALLS, transpose(callColumns, 15));
}

// One statement cannot upsert the same id twice, so several records of a call in one batch are merged
// first, with the same rules the ON CONFLICT clause applies.
function mergeCalls(entries: PreparedEntry[]): PreparedCall[] {
  const byId = new Map<string, PreparedCall>();
  for (const { call } of entries) {
    if (!call) continue;
    const earlier = byId.get(call.id);
    byId.set(
      call.id,
      earlier
        ? {
            ...earlier,
            decision: call.decision,
            status: call.status,
            rule: call.rule ?? earlier.rule,
            reason: call.reason ?? earlier.reason,
            finishedAt: call.finishedAt ?? earlier.finishedAt,
            durationMs: call.durationMs ?? earlier.durationMs,
            error: call.error ?? earlier.error,
          }
        : call,
    );
  }
  return [...byId.values()];
}

function transpose(rows: unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}

// One batch = one transaction: take the chain lock, read the chain head, append the events with their
// hashes, upsert the tool_calls rows. The advisory lock (scoped to the schema) serialises appends across
// processes and replicas, so seq order is chain order and every prev_hash names the row before it.
//
// The usual case costs one round trip: the writer remembers the head its last batch ended on and sends
// the lock, a check that the head is still that one, and both inserts as one multi-statement query (one
// implicit transaction; the statement after the lock sees everything committed before it). When another
// writer appended meanwhile (a replica, a CLI), the check fails, nothing is written, and the batch is
// hashed again on the head the query returned. The six-step transaction below is the fallback.
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { startDeadline, type Database } from "../db/index.ts";
import { AUDIT_CHAIN_LOCK_KEY, chainHashWithDataJson, GENESIS_HASH } from "./chain.ts";
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

const SWIFT_ATTEMPTS = 3;

/**
 * Commits the batch chained on `expectedHead` (the head the writer believes the chain ends at; null
 * when it does not know) and returns the head it ended at, or throws. After `timeoutMs` without an
 * answer the connection is dropped (rolling back).
 */
export async function commitBatch(database: Database, entries: PreparedEntry[], timeoutMs: number, expectedHead: string | null = null): Promise<string> {
  let last = "";
  await withClient(database, timeoutMs, async (client) => {
    let expected = expectedHead ?? GENESIS_HASH;
    for (let attempt = 0; attempt < SWIFT_ATTEMPTS; attempt++) {
      const outcome = await appendIfHeadIs(client, entries, expected);
      if (outcome.ok) {
        last = outcome.last;
        return;
      }
      expected = outcome.head;
    }
    // Another writer keeps winning: take the lock first and read the head under it.
    try {
      await client.query("BEGIN");
      last = await appendInTransaction(client, entries);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
  return last;
}

/** The head the chain ends at once `entries` are appended on `from`. */
export function headAfter(entries: PreparedEntry[], from: string | null): string {
  return chainEvents(entries, from ?? GENESIS_HASH).at(-1)?.hash ?? from ?? GENESIS_HASH;
}

async function withClient(database: Database, timeoutMs: number, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await database.pool.connect();
  let brokenBy: Error | undefined;
  // A checked-out pg client with no 'error' listener crashes the process when its socket dies.
  const onClientError = (error: Error) => (brokenBy ??= error);
  client.on("error", onClientError);
  // Responsive time: a burst that keeps the event loop busy does not count as the database's silence.
  const cancelDeadline = startDeadline(timeoutMs, () => {
    brokenBy ??= new Error(`no answer from PostgreSQL within ${timeoutMs} ms`);
    void client.end().catch(() => {});
  });
  try {
    await work(client);
  } catch (error) {
    throw brokenBy ?? error;
  } finally {
    cancelDeadline();
    client.off("error", onClientError);
    client.release(brokenBy);
  }
}

/** The six-step append: lock, head, inserts. Returns the new head. */
async function appendInTransaction(client: pg.PoolClient, entries: PreparedEntry[]): Promise<string> {
  await client.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", [AUDIT_CHAIN_LOCK_KEY]);
  const head = await client.query<{ hash: string }>("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  const chained = chainEvents(entries, head.rows[0]?.hash ?? GENESIS_HASH);
  const eventRows = chained.map(({ event, prevHash, hash }) => [event.id, event.at, event.type, event.actor, event.callId, event.upstream, event.tool, event.decision, event.rule, event.reason, event.dataJson, prevHash, hash]);
  await client.query(INSERT_EVENTS, transpose(eventRows, 13));

  const calls = mergeCalls(entries);
  if (calls.length > 0) {
    const callColumns = calls.map((c) => [c.id, c.createdAt, c.finishedAt, c.grantName, c.sessionId, c.upstream, c.tool, c.argsJson, c.argsHash, c.decision, c.rule, c.reason, c.status, c.durationMs, c.error]);
    await client.query(UPSERT_CALLS, transpose(callColumns, 15));
  }
  return chained.at(-1)?.hash ?? head.rows[0]?.hash ?? GENESIS_HASH;
}

// The writer chains a batch once to predict where it will end, and the commit uses the same links.
const chained = new WeakMap<PreparedEntry[], { from: string; links: ChainLink[] }>();

interface ChainLink {
  event: PreparedEntry["event"];
  prevHash: string;
  hash: string;
}

function chainEvents(entries: PreparedEntry[], from: string): ChainLink[] {
  const known = chained.get(entries);
  if (known?.from === from) return known.links;
  let prevHash = from;
  const links = entries.map(({ event }) => {
    const link = { event, prevHash, hash: chainHashWithDataJson(prevHash, event, event.dataJson) };
    prevHash = link.hash;
    return link;
  });
  chained.set(entries, { from, links });
  return links;
}

const EVENT_RECORD = `ord int, id uuid, created_at timestamptz, type text, actor text, call_id uuid, upstream text, tool text,
  decision text, rule text, reason text, data jsonb, prev_hash text, hash text`;
const CALL_RECORD = `id uuid, created_at timestamptz, finished_at timestamptz, grant_name text, session_id text, upstream text,
  tool text, args_redacted jsonb, args_hash text, decision text, rule text, reason text, status text, duration_ms int, error text`;

/**
 * One round trip (a multi-statement simple query, hence literals; pg escapes them): appends the batch
 * only if the chain still ends at `expected`. Says where the chain ends otherwise.
 */
async function appendIfHeadIs(client: pg.PoolClient, entries: PreparedEntry[], expected: string): Promise<{ ok: true; last: string } | { ok: false; head: string }> {
  const chained = chainEvents(entries, expected);
  // dataJson and argsJson are canonical JSON already: spliced in as they are, not parsed and written again.
  const events = `[${chained
    .map(({ event, prevHash, hash }, ord) => {
      const { id, at, type, actor, callId, upstream, tool, decision, rule, reason } = event;
      const fields = JSON.stringify({ ord, id, created_at: at, type, actor, call_id: callId, upstream, tool, decision, rule, reason, prev_hash: prevHash, hash });
      return `${fields.slice(0, -1)},"data":${event.dataJson}}`;
    })
    .join(",")}]`;
  const calls = `[${mergeCalls(entries)
    .map((c) => {
      const fields = JSON.stringify({
        id: c.id,
        created_at: c.createdAt,
        finished_at: c.finishedAt,
        grant_name: c.grantName,
        session_id: c.sessionId,
        upstream: c.upstream,
        tool: c.tool,
        args_hash: c.argsHash,
        decision: c.decision,
        rule: c.rule,
        reason: c.reason,
        status: c.status,
        duration_ms: c.durationMs,
        error: c.error,
      });
      return `${fields.slice(0, -1)},"args":${c.argsJson}}`;
    })
    .join(",")}]`;
  const text = `SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY}, hashtext(current_schema()));
WITH head AS (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),
fits AS (SELECT COALESCE((SELECT hash FROM head), '${GENESIS_HASH}') = ${client.escapeLiteral(expected)} AS ok),
appended AS (
  INSERT INTO audit_events (id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash)
  SELECT id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash
  FROM jsonb_to_recordset(${quoted(client, events)}::jsonb) AS e(${EVENT_RECORD})
  WHERE (SELECT ok FROM fits) ORDER BY ord
  RETURNING 1),
upserted AS (
  INSERT INTO tool_calls (id, created_at, finished_at, grant_name, session_id, upstream, tool, args_redacted, args_hash,
                          decision, rule, reason, status, duration_ms, error)
  SELECT c.id, c.created_at, c.finished_at, c.grant_name, c.session_id, c.upstream, c.tool, COALESCE(c.args, 'null'::jsonb), c.args_hash,
         c.decision, c.rule, c.reason, c.status, c.duration_ms, c.error
  FROM jsonb_to_recordset(${quoted(client, calls)}::jsonb) AS c(${CALL_RECORD.replace("args_redacted jsonb", "args jsonb")})
  WHERE (SELECT ok FROM fits)
  ${UPSERT_CALLS.slice(UPSERT_CALLS.indexOf("ON CONFLICT"))}
  RETURNING 1)
SELECT (SELECT ok FROM fits) AS ok, COALESCE((SELECT hash FROM head), '${GENESIS_HASH}') AS head,
       (SELECT count(*) FROM appended) AS appended, (SELECT count(*) FROM upserted) AS upserted`;
  const results = (await client.query(text)) as unknown as pg.QueryResult[];
  const outcome = results.at(-1)!.rows[0] as { ok: boolean; head: string };
  if (!outcome.ok) return { ok: false, head: outcome.head };
  return { ok: true, last: chained.at(-1)?.hash ?? expected };
}

// A dollar-quoted literal takes the text as it is: no character-by-character escaping of every batch
// in JavaScript. The tag is random per process, so text from an agent cannot end the literal; text that
// happens to contain it is escaped instead.
export const DOLLAR_TAG = `$gh${randomBytes(8).toString("hex")}$`;

function quoted(client: pg.PoolClient, text: string): string {
  return text.includes(DOLLAR_TAG) ? client.escapeLiteral(text) : `${DOLLAR_TAG}${text}${DOLLAR_TAG}`;
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

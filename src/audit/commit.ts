// One batch = one transaction: take the chain lock, read the chain head, append the events with their
// hashes, upsert the tool_calls rows. The advisory lock (scoped to the schema) serialises appends across
// processes and replicas, so seq order is chain order and every prev_hash names the row before it.
//
// The usual case costs one round trip: the writer remembers the head its last batch ended on and calls
// `gatehouse_append_audit` (migrations/0006): the lock, a check that the head is still that one, and both
// inserts, in one implicit transaction (the function's statements after the lock see everything committed
// before it), the batch passed as two JSON parameters. When another writer appended meanwhile (a
// replica, a CLI), the check fails, nothing is written, and the batch is hashed again on the head the
// call returned. After three such misses, the same calls are made in one transaction (below).
import type pg from "pg";
import { startDeadline, statement, type Database } from "../db/index.ts";
import { AUDIT_CHAIN_LOCK_KEY, chainHashWithDataJson, GENESIS_HASH } from "./chain.ts";
import type { PreparedCall, PreparedEntry } from "./entry.ts";

const SWIFT_ATTEMPTS = 3;

/**
 * Commits the batch chained on `expectedHead` (the head the writer believes the chain ends at; null
 * when it does not know) and returns the head it ended at, or throws. After `timeoutMs` without an
 * answer the connection is dropped (rolling back).
 */
export async function commitBatch(
  database: Database,
  entries: PreparedEntry[],
  timeoutMs: number,
  expectedHead: string | null = null,
  { swiftAttempts = SWIFT_ATTEMPTS }: { swiftAttempts?: number } = {},
): Promise<string> {
  let last = "";
  await withClient(database, timeoutMs, async (client) => {
    let expected = expectedHead ?? GENESIS_HASH;
    for (let attempt = 0; attempt < swiftAttempts; attempt++) {
      const outcome = await appendIfHeadIs(database, client, entries, expected);
      if (outcome.ok) {
        last = outcome.last;
        return;
      }
      expected = outcome.head;
    }
    // Another writer keeps winning: in one transaction, so the lock the first call takes is held until
    // COMMIT. If the chain moved again, the second call, chained on the head the first returned, fits.
    try {
      await client.query("BEGIN");
      const first = await appendIfHeadIs(database, client, entries, expected);
      const outcome = first.ok ? first : await appendIfHeadIs(database, client, entries, first.head);
      if (!outcome.ok) throw new Error("the audit chain moved while this writer held its lock");
      await client.query("COMMIT");
      last = outcome.last;
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

/**
 * One round trip (the migration's `gatehouse_append_audit`, whose plans PostgreSQL keeps per connection):
 * appends the batch only if the chain still ends at `expected`. Says where the chain ends otherwise.
 */
async function appendIfHeadIs(database: Database, client: pg.PoolClient, entries: PreparedEntry[], expected: string): Promise<{ ok: true; last: string } | { ok: false; head: string }> {
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
  const { rows } = await client.query<{ appended: boolean; chain_head: string }>(
    statement(database, "gatehouse_append_audit", APPEND, [AUDIT_CHAIN_LOCK_KEY, GENESIS_HASH, expected, events, calls]),
  );
  const outcome = rows[0]!;
  if (!outcome.appended) return { ok: false, head: outcome.chain_head };
  return { ok: true, last: chained.at(-1)?.hash ?? expected };
}

const APPEND = "SELECT appended, chain_head FROM gatehouse_append_audit($1::int, $2::text, $3::text, $4::jsonb, $5::jsonb)";

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

// Walks audit_events in seq order, recomputing every hash and checking every link. An edited row fails
// its own hash; a deleted row breaks the link at the row after it. Seq gaps alone are not breaks: a
// rolled-back batch consumes sequence numbers without writing rows. Deleting the newest rows leaves no
// trace in the chain itself; compare `head` with a copy kept elsewhere to catch that.
import type { Database } from "../db/index.ts";
import { chainHash, GENESIS_HASH } from "./chain.ts";

export type VerifyResult =
  | { ok: true; checked: number; head: { seq: number; hash: string } | null }
  | { ok: false; checked: number; brokenAt: { seq: number; id: string }; problem: string };

interface StoredEvent {
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

const PAGE = `
  SELECT seq, id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash
  FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`;

export async function verifyAuditChain(database: Database, options: { batchSize?: number } = {}): Promise<VerifyResult> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  let previous: { seq: number; hash: string } | null = null;
  let checked = 0;
  for (;;) {
    const after: number = previous?.seq ?? 0;
    const { rows } = await database.pool.query<StoredEvent>(PAGE, [after, batchSize]);
    for (const row of rows) {
      const seq = Number(row.seq);
      const problem = findProblem(row, seq, previous);
      if (problem) return { ok: false, checked, brokenAt: { seq, id: row.id }, problem };
      checked++;
      previous = { seq, hash: row.hash };
    }
    if (rows.length < batchSize) return { ok: true, checked, head: previous };
  }
}

function findProblem(row: StoredEvent, seq: number, previous: { seq: number; hash: string } | null): string | null {
  if (previous === null && row.prev_hash !== GENESIS_HASH) {
    return `row seq ${seq} (id ${row.id}): it is the first row but its prev_hash is not the genesis value — the rows before it were deleted or it was changed`;
  }
  if (previous !== null && row.prev_hash !== previous.hash) {
    return `row seq ${seq} (id ${row.id}): prev_hash does not match row seq ${previous.seq}'s hash — a row before it was deleted or changed`;
  }
  const expected = chainHash(row.prev_hash, {
    id: row.id,
    at: row.created_at.toISOString(),
    type: row.type,
    actor: row.actor,
    callId: row.call_id,
    upstream: row.upstream,
    tool: row.tool,
    decision: row.decision,
    rule: row.rule,
    reason: row.reason,
    data: row.data,
  });
  if (row.hash !== expected) {
    return `row seq ${seq} (id ${row.id}): stored hash does not match its contents — edited after it was written`;
  }
  return null;
}

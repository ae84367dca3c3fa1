// Walks audit_events in seq order, recomputing every hash and checking every link. An edited row fails
// its own hash; a deleted row breaks the link at the row after it. Seq gaps alone are not breaks: a
// rolled-back batch consumes sequence numbers without writing rows. Deleting the newest rows leaves no
// trace in the chain itself: compare the head with a copy kept elsewhere (`--expect-head`, checkpoints).
import type { Database } from "../db/index.ts";
import { GENESIS_HASH } from "./chain.ts";
import { EVENT_COLUMNS, expectedHash, type StoredEvent } from "./events.ts";

export type VerifyResult =
  | { ok: true; checked: number; head: { seq: number; hash: string } | null }
  | { ok: false; checked: number; brokenAt: { seq: number; id: string }; problem: string };

export interface ChainWalk {
  /** Rows walked. */
  events: number;
  head: { seq: number; hash: string } | null;
  /** The first broken row, and how many rows were walked before it. */
  firstBreak: { seq: number; id: string; problem: string; checkedBefore: number } | null;
  /** For each seq asked about (`marks`) and found: its hash and how many rows lead up to it (itself included). */
  marks: Map<number, { hash: string; count: number }>;
}

const PAGE = `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`;

export async function verifyAuditChain(database: Database, options: { batchSize?: number } = {}): Promise<VerifyResult> {
  const walk = await walkChain(database, options);
  if (walk.firstBreak) {
    const { seq, id, problem, checkedBefore } = walk.firstBreak;
    return { ok: false, checked: checkedBefore, brokenAt: { seq, id }, problem };
  }
  return { ok: true, checked: walk.events, head: walk.head };
}

/** The whole chain, start to head, without stopping at a break (the head and the marks are still wanted). */
export async function walkChain(database: Database, options: { batchSize?: number; marks?: ReadonlySet<number> } = {}): Promise<ChainWalk> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const marks = new Map<number, { hash: string; count: number }>();
  let previous: { seq: number; hash: string } | null = null;
  let events = 0;
  let firstBreak: ChainWalk["firstBreak"] = null;
  for (;;) {
    const after: number = previous?.seq ?? 0;
    const { rows } = await database.pool.query<StoredEvent>(PAGE, [after, batchSize]);
    for (const row of rows) {
      const seq = Number(row.seq);
      const problem = findProblem(row, seq, previous);
      if (problem && !firstBreak) firstBreak = { seq, id: row.id, problem, checkedBefore: events };
      events++;
      if (options.marks?.has(seq)) marks.set(seq, { hash: row.hash, count: events });
      previous = { seq, hash: row.hash };
    }
    if (rows.length < batchSize) return { events, head: previous, firstBreak, marks };
  }
}

function findProblem(row: StoredEvent, seq: number, previous: { seq: number; hash: string } | null): string | null {
  if (previous === null && row.prev_hash !== GENESIS_HASH) {
    return `row seq ${seq} (id ${row.id}): it is the first row but its prev_hash is not the genesis value — the rows before it were deleted or it was changed`;
  }
  if (previous !== null && row.prev_hash !== previous.hash) {
    return `row seq ${seq} (id ${row.id}): prev_hash does not match row seq ${previous.seq}'s hash — a row before it was deleted or changed`;
  }
  if (row.hash !== expectedHash(row)) {
    return `row seq ${seq} (id ${row.id}): stored hash does not match its contents — edited after it was written`;
  }
  return null;
}

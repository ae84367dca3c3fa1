// Reading audit_events for a few calls at a time, each event checked on its own: its hash against its
// contents, its prev_hash against the event stored before it, and the event stored after it against its
// hash. Cheap (two index lookups per event), so every listing can afford it; `verifyAudit` walks the rest.
import type { AuditEventRow, Database } from "../db/index.ts";
import { chainHash, GENESIS_HASH, type ChainedFields } from "./chain.ts";

/** An audit_events row as PostgreSQL returns it. */
export interface StoredEvent {
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

export interface CheckedEvent extends Omit<ChainedFields, "data"> {
  seq: number;
  data: Record<string, unknown>;
  hash: string;
  /** True when the stored hash matches the event's contents: only such events are believed. */
  isIntact: boolean;
  /** What is wrong with this event or its neighbours; empty when nothing is. */
  problems: string[];
}

export const EVENT_COLUMNS = "seq, id, created_at, type, actor, call_id, upstream, tool, decision, rule, reason, data, prev_hash, hash";

const FOR_CALLS = `
  SELECT e.seq, e.id, e.created_at, e.type, e.actor, e.call_id, e.upstream, e.tool, e.decision, e.rule, e.reason, e.data, e.prev_hash, e.hash,
    (SELECT p.hash FROM audit_events p WHERE p.seq < e.seq ORDER BY p.seq DESC LIMIT 1) AS before_hash,
    (SELECT n.prev_hash FROM audit_events n WHERE n.seq > e.seq ORDER BY n.seq LIMIT 1) AS after_prev_hash
  FROM audit_events e WHERE e.call_id = ANY($1::uuid[]) ORDER BY e.seq`;

/** The fields a row's hash covers, as it stores them. */
function chainedFields(row: StoredEvent): ChainedFields {
  return {
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
  };
}

/** The hash the row should have, computed from what it stores. */
export function expectedHash(row: StoredEvent): string {
  return chainHash(row.prev_hash, chainedFields(row));
}

/** An audit_events row as drizzle reads it, in the shape PostgreSQL returns it. */
export function storedEvent(row: AuditEventRow): StoredEvent {
  return {
    seq: String(row.seq),
    id: row.id,
    created_at: row.at,
    type: row.type,
    actor: row.actor,
    call_id: row.callId,
    upstream: row.upstream,
    tool: row.tool,
    decision: row.decision,
    rule: row.rule,
    reason: row.reason,
    data: row.data,
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

/** Every event of these calls, checked, grouped by call id, each list in chain order. */
export async function loadCallEvents(database: Database, callIds: readonly string[]): Promise<Map<string, CheckedEvent[]>> {
  const byCall = new Map<string, CheckedEvent[]>();
  const ids = [...new Set(callIds.map((id) => id.toLowerCase()))];
  if (ids.length === 0) return byCall;
  const { rows } = await database.pool.query<StoredEvent & { before_hash: string | null; after_prev_hash: string | null }>(FOR_CALLS, [ids]);
  for (const row of rows) {
    const event = checkEvent(row, row.before_hash, row.after_prev_hash);
    const list = byCall.get(event.callId ?? "") ?? [];
    list.push(event);
    byCall.set(event.callId ?? "", list);
  }
  return byCall;
}

export function checkEvent(row: StoredEvent, beforeHash: string | null, afterPrevHash: string | null): CheckedEvent {
  const seq = Number(row.seq);
  const problems: string[] = [];
  const isIntact = row.hash === expectedHash(row);
  if (!isIntact) problems.push(`audit event seq ${seq} (${row.type}) was edited after it was written: its hash does not match its contents`);
  if (row.prev_hash !== (beforeHash ?? GENESIS_HASH)) {
    problems.push(`the audit event stored before seq ${seq} is not the one it was chained to: events before it were deleted or rewritten`);
  }
  if (afterPrevHash !== null && afterPrevHash !== row.hash) {
    problems.push(`the audit event stored after seq ${seq} is not chained to it: events after it were deleted or rewritten`);
  }
  const fields = chainedFields(row);
  return { ...fields, seq, data: isRecord(fields.data) ? fields.data : {}, hash: row.hash, isIntact, problems };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

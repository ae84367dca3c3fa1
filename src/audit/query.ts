// Review queries behind `GET /api/audit`, `gatehouse audit list|export` and the dashboard. Newest first
// with keyset pagination: the opaque cursor holds the last row's sort key, so pages stay stable while new
// rows arrive. tool_calls sorts on (created_at, id) with the timestamp kept at microsecond precision.
// Filters select rows from the tables; every row returned is then checked against the audit chain.
import { and, desc, eq, getTableColumns, gte, like, lt, or, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { approvals, approvalVotes, auditEvents, toolCalls, type AuditEventRow, type Database } from "../db/index.ts";
import { checkEvent, storedEvent } from "./events.ts";
import { InvalidAuditQueryError } from "./query-error.ts";
import { verdict, type Integrity } from "./fold.ts";
import { checkCallRows, type CallRow } from "./rows.ts";

/** Bad input from a reviewer (cursor, since, limit): the HTTP/CLI edge turns it into a 400 / usage error. */
export { InvalidAuditQueryError };

export interface ToolCallFilters {
  since?: Date;
  until?: Date;
  upstream?: string;
  /** Glob: `*` any run of characters, `?` one character. */
  tool?: string;
  grant?: string;
  decision?: string;
  status?: string;
  /** Anyone who voted on a held call, or decided it: matched case-insensitively inside the voter ("alice", "U012AB3CD"). */
  reviewer?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditEventFilters {
  since?: Date;
  until?: Date;
  /** Glob, e.g. `call.*`. */
  type?: string;
  actor?: string;
  callId?: string;
  upstream?: string;
  tool?: string;
  limit?: number;
  cursor?: string;
}

export interface Page<Row> {
  rows: Row[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MICROSECOND_UTC = sql<string>`to_char(${toolCalls.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** One audit_events row with the verdict of its own checks (hash, links to its neighbours). */
export type EventRow = AuditEventRow & { integrity: Integrity };

export async function listToolCalls(database: Database, filters: ToolCallFilters = {}): Promise<Page<CallRow>> {
  const limit = pageSize(filters.limit);
  const conditions: (SQL | undefined)[] = [
    filters.since && gte(toolCalls.createdAt, filters.since),
    filters.until && lt(toolCalls.createdAt, filters.until),
    filters.upstream !== undefined ? eq(toolCalls.upstream, filters.upstream) : undefined,
    filters.tool !== undefined ? matchGlob(toolCalls.tool, filters.tool) : undefined,
    filters.grant !== undefined ? eq(toolCalls.grantName, filters.grant) : undefined,
    filters.decision !== undefined ? eq(toolCalls.decision, filters.decision) : undefined,
    filters.status !== undefined ? eq(toolCalls.status, filters.status) : undefined,
    filters.reviewer !== undefined ? byReviewer(filters.reviewer) : undefined,
  ];
  if (filters.cursor !== undefined) {
    const { at, id } = decodeCursor(filters.cursor, "c");
    const atTime = sql`${at}::timestamptz`;
    conditions.push(or(lt(toolCalls.createdAt, atTime), and(eq(toolCalls.createdAt, atTime), lt(toolCalls.id, id))));
  }
  const found = await database.db
    .select({ ...getTableColumns(toolCalls), cursorAt: MICROSECOND_UTC })
    .from(toolCalls)
    .where(and(...conditions))
    .orderBy(desc(toolCalls.createdAt), desc(toolCalls.id))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: await checkCallRows(
      database,
      page.map(({ cursorAt: _cursorAt, ...row }) => row),
    ),
    nextCursor: found.length > limit && last ? encodeCursor({ k: "c", at: last.cursorAt, id: last.id }) : null,
  };
}

// Any voter counts (approval_votes.voter), and whoever decided (approvals.decided_by): a decision can be
// made without a vote row (timeout, cancel), and older rows may lack votes.
function byReviewer(reviewer: string): SQL {
  const pattern = `%${escapeLike(reviewer)}%`;
  return sql`${toolCalls.id} IN (SELECT ${approvals.callId} FROM ${approvals} WHERE ${approvals.decidedBy} ILIKE ${pattern}
    OR ${approvals.id} IN (SELECT ${approvalVotes.approvalId} FROM ${approvalVotes} WHERE ${approvalVotes.voter} ILIKE ${pattern}))`;
}

export async function listAuditEvents(database: Database, filters: AuditEventFilters = {}): Promise<Page<EventRow>> {
  const limit = pageSize(filters.limit);
  if (filters.callId !== undefined && !UUID.test(filters.callId)) return { rows: [], nextCursor: null };
  const conditions: (SQL | undefined)[] = [
    filters.since && gte(auditEvents.at, filters.since),
    filters.until && lt(auditEvents.at, filters.until),
    filters.type !== undefined ? matchGlob(auditEvents.type, filters.type) : undefined,
    filters.actor !== undefined ? eq(auditEvents.actor, filters.actor) : undefined,
    filters.callId !== undefined ? eq(auditEvents.callId, filters.callId.toLowerCase()) : undefined,
    filters.upstream !== undefined ? eq(auditEvents.upstream, filters.upstream) : undefined,
    filters.tool !== undefined ? matchGlob(auditEvents.tool, filters.tool) : undefined,
  ];
  if (filters.cursor !== undefined) conditions.push(lt(auditEvents.seq, decodeCursor(filters.cursor, "e").seq));
  const found = await database.db
    .select({ ...getTableColumns(auditEvents), beforeHash: BEFORE_HASH, afterPrevHash: AFTER_PREV_HASH })
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1);
  const page = found.slice(0, limit);
  const last = page.at(-1);
  const rows = page.map(({ beforeHash, afterPrevHash, ...row }) => {
    const checked = checkEvent(storedEvent(row), beforeHash, afterPrevHash);
    return { ...row, integrity: verdict(checked.problems, []) };
  });
  return { rows, nextCursor: found.length > limit && last ? encodeCursor({ k: "e", seq: last.seq }) : null };
}

// Qualified by hand: drizzle leaves the outer table's columns bare, which the subquery would resolve to its own.
const BEFORE_HASH = sql<string | null>`(SELECT p.hash FROM audit_events p WHERE p.seq < "audit_events"."seq" ORDER BY p.seq DESC LIMIT 1)`;
const AFTER_PREV_HASH = sql<string | null>`(SELECT n.prev_hash FROM audit_events n WHERE n.seq > "audit_events"."seq" ORDER BY n.seq LIMIT 1)`;

/** `*` and `?` become LIKE wildcards; LIKE's own `%`, `_` and `\` are matched literally. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, "\\$&").replaceAll("*", "%").replaceAll("?", "_");
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function matchGlob(column: AnyPgColumn, glob: string): SQL {
  return /[*?]/.test(glob) ? like(column, globToLike(glob)) : eq(column, glob);
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidAuditQueryError(`limit must be a positive integer (got ${limit}).`);
  return Math.min(limit, MAX_PAGE_SIZE);
}

type Cursor = { k: "c"; at: string; id: string } | { k: "e"; seq: number };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

function decodeCursor<K extends Cursor["k"]>(text: string, kind: K): Extract<Cursor, { k: K }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  const c = parsed as Partial<{ k: string; at: unknown; id: unknown; seq: unknown }> | null;
  const isValid =
    c !== null &&
    typeof c === "object" &&
    c.k === kind &&
    (kind === "c"
      ? typeof c.at === "string" && !Number.isNaN(Date.parse(c.at)) && typeof c.id === "string" && UUID.test(c.id)
      : Number.isSafeInteger(c.seq));
  if (!isValid) throw new InvalidAuditQueryError("Invalid cursor: pass back the nextCursor value of the previous page unchanged.");
  return c as Extract<Cursor, { k: K }>;
}

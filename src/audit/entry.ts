// What callers hand the audit writer, and its checked, storable form. Checking happens in `record`, per
// entry, so one malformed entry is refused on its own instead of failing the whole batch it would join.
import { randomUUID } from "node:crypto";
import { canonicalJson } from "./canonical.ts";
import { redactText, redactValue } from "./redact.ts";
import type { CallSnapshot } from "./snapshot.ts";
import { hasUnstorableText, toStorableJson, toStorableText } from "./storable.ts";

export interface AuditEventInput {
  /** "call.allowed", "call.denied", "call.hidden", "call.rate_limited", "call.failed", "grant.created", "policy.reloaded", … */
  type: string;
  /** "grant:<name>", "system", "client", or the person who voted: "slack:<user id>", "reviewer:<name>", "admin" */
  actor: string;
  callId?: string | null;
  upstream?: string | null;
  tool?: string | null;
  decision?: string | null;
  rule?: string | null;
  reason?: string | null;
  data?: Record<string, unknown>;
}

/** One tool_calls row. Recording the same id again updates its final state (decision, status, outcome). */
export interface ToolCallInput {
  id: string;
  grantName: string;
  sessionId: string;
  upstream: string;
  tool: string;
  argsRedacted: unknown;
  argsHash: string;
  decision: string;
  rule?: string | null;
  reason?: string | null;
  status: string;
  durationMs?: number | null;
  error?: string | null;
  createdAt?: Date;
  finishedAt?: Date | null;
}

export interface AuditEntry {
  event: AuditEventInput;
  call?: ToolCallInput;
}

export interface PreparedEvent {
  id: string;
  at: string;
  type: string;
  actor: string;
  callId: string | null;
  upstream: string | null;
  tool: string | null;
  decision: string | null;
  rule: string | null;
  reason: string | null;
  data: unknown;
  dataJson: string;
}

/** One tool_calls upsert, checked: the snapshot an event carries, plus the arguments' canonical JSON. */
export interface PreparedCall extends Omit<CallSnapshot, "argsRedacted"> {
  id: string;
  /** The stored redacted arguments, and their canonical JSON (what the upsert writes). */
  args: unknown;
  argsJson: string;
}

export interface PreparedEntry {
  event: PreparedEvent;
  call: PreparedCall | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_INT4 = 2_147_483_647;

/** Throws TypeError naming the offending field. */
export function prepareEntry(entry: AuditEntry, now: Date): PreparedEntry {
  const { event, call } = entry;
  const at = isoTime(now, "at");
  const callId = optionalUuid(event.callId ?? call?.id, "event.callId");
  if (call && callId !== call.id.toLowerCase()) throw new TypeError("event.callId and call.id differ");
  const stored = toStorableJson(event.data ?? {});
  if (stored === null || typeof stored !== "object" || Array.isArray(stored)) throw new TypeError("event.data must be an object");
  const prepared = call ? prepareCall(call, at) : null;
  // The event carries the row it writes, so the chain can vouch for (or expose) the tool_calls row.
  const data = prepared ? { ...stored, call: callSnapshot(prepared) } : stored;
  return {
    event: {
      id: randomUUID(),
      at,
      type: requiredText(event.type, "event.type"),
      actor: requiredText(event.actor, "event.actor"),
      callId,
      upstream: optionalText(event.upstream),
      tool: optionalText(event.tool),
      decision: optionalText(event.decision),
      rule: optionalText(event.rule),
      reason: optionalText(event.reason),
      data,
      dataJson: canonicalJson(data),
    },
    call: prepared,
  };
}

function callSnapshot(call: PreparedCall): CallSnapshot {
  const { id: _id, args, argsJson: _argsJson, ...fields } = call;
  return { ...fields, argsRedacted: args };
}

function prepareCall(call: ToolCallInput, at: string): PreparedCall {
  if (call.durationMs != null && !(Number.isFinite(call.durationMs) && call.durationMs >= 0 && call.durationMs <= MAX_INT4)) {
    throw new TypeError("call.durationMs must be a non-negative number of milliseconds");
  }
  const args = storableRedactedArgs(call.argsRedacted);
  return {
    id: optionalUuid(call.id, "call.id") as string,
    createdAt: call.createdAt ? isoTime(call.createdAt, "call.createdAt") : at,
    finishedAt: call.finishedAt ? isoTime(call.finishedAt, "call.finishedAt") : null,
    grantName: requiredText(call.grantName, "call.grantName"),
    sessionId: requiredText(call.sessionId, "call.sessionId"),
    upstream: requiredText(call.upstream, "call.upstream"),
    tool: requiredText(call.tool, "call.tool"),
    args,
    argsJson: canonicalJson(args),
    argsHash: requiredText(call.argsHash, "call.argsHash"),
    decision: requiredText(call.decision, "call.decision"),
    rule: optionalText(call.rule),
    reason: optionalText(call.reason),
    status: requiredText(call.status, "call.status"),
    durationMs: call.durationMs == null ? null : Math.round(call.durationMs),
    error: call.error == null ? null : toStorableText(redactText(call.error)),
  };
}

// `argsRedacted` comes from redactArguments, already escaped: escaping it again would change it. Redacting
// again is a no-op on redacted input; both steps are a safety net for a caller that skipped redactArguments.
function storableRedactedArgs(argsRedacted: unknown): unknown {
  const redacted = redactValue(argsRedacted ?? null);
  return hasUnstorableText(redacted) ? toStorableJson(redacted) : redacted;
}

function requiredText(value: string, field: string): string {
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`${field} must be a non-empty string`);
  return toStorableText(value);
}

function optionalText(value: string | null | undefined): string | null {
  return value == null ? null : toStorableText(String(value));
}

function optionalUuid(value: string | null | undefined, field: string): string | null {
  if (value == null) return null;
  if (typeof value !== "string" || !UUID.test(value)) throw new TypeError(`${field} must be a UUID`);
  return value.toLowerCase();
}

function isoTime(value: Date, field: string): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${field} must be a valid Date`);
  return value.toISOString();
}

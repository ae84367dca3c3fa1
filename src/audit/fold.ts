// The pure core of "rows checked against the chain": fold a call's (checked) events into the tool_calls
// row they wrote, fold an approval's events into its approvals row and votes, and compare both with the
// rows as stored. The fold mirrors the writer's upsert (commit.ts): the first record sets who, what and
// with which arguments; every record sets decision and status; rule, reason, finish time, duration and
// error keep their last non-null value. Approvals take their newest snapshot by version.
import type { ApprovalRow, ApprovalVoteRow, ToolCallRow } from "../db/index.ts";
import { canonicalJson } from "./canonical.ts";
import { isRecord, type CheckedEvent } from "./events.ts";
import { legacyCallValues, legacyVotes } from "./legacy.ts";
import { redactText } from "./redact.ts";
import { APPROVAL_FIELDS, CALL_FIELDS, type ApprovalField, type CallField, type VoteSnapshot } from "./snapshot.ts";
import { fromStorableJson } from "./storable.ts";

/** The verdict shown next to every row: `ok` only when nothing disagrees; `unverified` names what the chain cannot vouch for. */
export interface Integrity {
  ok: boolean;
  problems: string[];
  unverified: string[];
}

export interface ChainCall {
  /** What the chain says, field by field; a field missing here is unknown to it. */
  values: Partial<Record<CallField, unknown>>;
  /** Intact events that wrote this call's row. */
  eventCount: number;
  approvalId: string | null;
  /** Problems of the events themselves (edited, unlinked). */
  eventProblems: string[];
}

export interface ChainVote {
  voter: string;
  vote: string;
  /** undefined: the chain does not say (events written before votes were snapshotted). */
  reason?: string | null;
  at?: string;
}

export interface ChainApproval {
  id: string;
  values: Partial<Record<ApprovalField, unknown>>;
  votes: ChainVote[];
}

const INSERT_ONLY: ReadonlySet<CallField> = new Set(["createdAt", "grantName", "sessionId", "upstream", "tool", "argsRedacted", "argsHash"]);
const LAST_WINS: ReadonlySet<CallField> = new Set(["decision", "status"]);

export const FIELD_LABELS: Readonly<Record<CallField | ApprovalField, string>> = {
  createdAt: "time",
  finishedAt: "finish time",
  grantName: "grant",
  sessionId: "session",
  upstream: "upstream",
  tool: "tool",
  argsRedacted: "arguments",
  argsHash: "arguments hash",
  decision: "decision",
  rule: "rule",
  reason: "reason",
  status: "status",
  durationMs: "duration",
  error: "error",
  callId: "call id",
  expiresAt: "deadline",
  grantOwner: "grant owner",
  spec: "approval spec",
  decidedBy: "decided by",
  decidedAt: "decision time",
  decisionReason: "decision reason",
  executedAt: "execution time",
};

export function foldCall(events: readonly CheckedEvent[]): ChainCall {
  let values: Partial<Record<CallField, unknown>> | null = null;
  let eventCount = 0;
  let approvalId: string | null = null;
  const eventProblems = events.flatMap((e) => e.problems);
  for (const event of events) {
    if (!event.isIntact) continue;
    if (approvalId === null) approvalId = approvalIdOf(event);
    const record = callValuesOf(event);
    if (!record) continue;
    eventCount++;
    values = values === null ? { ...record } : applyRecord(values, record);
  }
  return { values: values ?? {}, eventCount, approvalId, eventProblems };
}

function callValuesOf(event: CheckedEvent): Partial<Record<CallField, unknown>> | null {
  const snapshot = event.data.call;
  if (isRecord(snapshot)) return Object.fromEntries(CALL_FIELDS.filter((f) => f in snapshot).map((f) => [f, snapshot[f] ?? null]));
  return legacyCallValues(event);
}

function applyRecord(state: Partial<Record<CallField, unknown>>, record: Partial<Record<CallField, unknown>>): Partial<Record<CallField, unknown>> {
  const next = { ...state };
  for (const field of CALL_FIELDS) {
    const isKnown = field in record;
    const value = record[field];
    if (INSERT_ONLY.has(field)) {
      // Written once by the first record; a later record's copy can only fill in what an old event left unknown.
      if (!(field in next) && isKnown) next[field] = value;
    } else if (LAST_WINS.has(field)) {
      if (isKnown) next[field] = value;
      else delete next[field];
    } else if (!isKnown) {
      delete next[field];
    } else if (value !== null) {
      next[field] = value;
    }
  }
  return next;
}

function approvalIdOf(event: CheckedEvent): string | null {
  const snapshot = event.data.approval;
  if (isRecord(snapshot) && typeof snapshot.id === "string") return snapshot.id;
  return typeof event.data.approvalId === "string" ? event.data.approvalId : null;
}

/** What the chain says about one approval, from the events of its call; null when they never mention it. */
export function foldApproval(events: readonly CheckedEvent[], approvalId: string): ChainApproval | null {
  let newest: { version: number; seq: number; snapshot: Record<string, unknown> } | null = null;
  let newestLegacy: CheckedEvent | null = null;
  for (const event of events) {
    if (!event.isIntact) continue;
    const raw = event.data.approval;
    if (isRecord(raw) && raw.id === approvalId) {
      const snapshot = fromStorableJson(raw) as Record<string, unknown>;
      const version = typeof snapshot.version === "number" ? snapshot.version : -1;
      if (!newest || version > newest.version || (version === newest.version && event.seq > newest.seq)) newest = { version, seq: event.seq, snapshot };
    } else if (event.data.approvalId === approvalId && typeof event.data.status === "string" && event.type !== "approval.attached" && event.type !== "approval.replayed") {
      newestLegacy = event;
    }
  }
  if (newest) {
    const { snapshot } = newest;
    const votes = Array.isArray(snapshot.votes) ? (snapshot.votes as VoteSnapshot[]).map((v) => ({ voter: v.voter, vote: v.vote, reason: v.reason, at: v.at })) : [];
    return { id: approvalId, values: Object.fromEntries(APPROVAL_FIELDS.filter((f) => f in snapshot).map((f) => [f, snapshot[f] ?? null])), votes };
  }
  if (!newestLegacy) return null;
  const { data } = newestLegacy;
  const values: Partial<Record<ApprovalField, unknown>> = {
    status: data.status,
    decidedBy: typeof data.decidedBy === "string" ? fromStorableJson(data.decidedBy) : null,
    durationMs: typeof data.durationMs === "number" ? data.durationMs : null,
    error: typeof data.error === "string" && data.error !== "" ? redactText(fromStorableJson(data.error) as string) : null,
  };
  if (typeof data.argsHash === "string") values.argsHash = data.argsHash;
  if (newestLegacy.callId) values.callId = newestLegacy.callId;
  return { id: approvalId, values, votes: legacyVotes(events, approvalId) };
}

/** Compares a tool_calls row (null: missing) with what the chain says; `view` is what to show: the chain's values first. */
export function compareCall(row: ToolCallRow | null, chain: ChainCall): { view: Record<CallField, unknown>; integrity: Integrity } {
  const problems = [...chain.eventProblems];
  const unverified: string[] = [];
  const stored = row ? callRowValues(row) : null;
  if (chain.eventCount === 0) {
    problems.push("no intact audit event records this call: the row was added or changed outside the gateway, or its events were deleted or edited");
  } else if (!stored) {
    problems.push("the audit chain records this call, but its tool_calls row is missing");
  }
  const view = {} as Record<CallField, unknown>;
  for (const field of CALL_FIELDS) {
    const isKnown = field in chain.values;
    view[field] = isKnown ? chain.values[field] : (stored?.[field] ?? null);
    if (chain.eventCount === 0) continue;
    if (!isKnown) unverified.push(FIELD_LABELS[field]);
    else if (stored && !sameValue(stored[field], chain.values[field])) problems.push(disagreement("tool_calls", field, stored[field], chain.values[field]));
  }
  return { view, integrity: verdict(problems, unverified) };
}

/** Compares an approvals row and its votes (null: missing) with what the chain says. */
export function compareApproval(row: ApprovalRow | null, votes: readonly ApprovalVoteRow[], chain: ChainApproval | null, approvalId: string): Integrity {
  const problems: string[] = [];
  const unverified: string[] = [];
  if (!chain) {
    if (row) problems.push(`approval ${approvalId}: no intact audit event records this approval`);
    return verdict(problems, unverified);
  }
  if (!row) problems.push(`approval ${approvalId}: the audit chain records it, but its approvals row is missing`);
  const stored = row ? approvalRowValues(row) : null;
  for (const field of APPROVAL_FIELDS) {
    if (!(field in chain.values)) unverified.push(`approval ${FIELD_LABELS[field]}`);
    else if (stored && !sameValue(stored[field], chain.values[field])) problems.push(disagreement("approvals", field, stored[field], chain.values[field]));
  }
  const rows = new Map(votes.map((v) => [v.voter, v]));
  for (const vote of chain.votes) {
    const found = rows.get(vote.voter);
    rows.delete(vote.voter);
    if (!found) {
      problems.push(`approval_votes: the audit chain records a vote by ${vote.voter} (${vote.vote}) that is missing from the table`);
      continue;
    }
    if (found.vote !== vote.vote) problems.push(`approval_votes: ${vote.voter} voted ${vote.vote} according to the audit chain, the table says ${found.vote}`);
    if (vote.reason === undefined) unverified.push(`reason of ${vote.voter}'s vote`);
    else if ((found.reason ?? null) !== vote.reason) problems.push(`approval_votes: the reason of ${vote.voter}'s vote differs from the audit chain (${show(found.reason)} vs ${show(vote.reason)})`);
    if (vote.at === undefined) unverified.push(`time of ${vote.voter}'s vote`);
    else if (found.createdAt.toISOString() !== vote.at) problems.push(`approval_votes: the time of ${vote.voter}'s vote differs from the audit chain (${found.createdAt.toISOString()} vs ${vote.at})`);
  }
  for (const extra of rows.values()) problems.push(`approval_votes: a vote by ${extra.voter} (${extra.vote}) is in the table but not in the audit chain`);
  return verdict(problems, unverified);
}

/**
 * The approvals row keeps the redacted arguments reviewers decide on; the held call's events vouch for them
 * (its tool_calls snapshot), so an edit that shows reviewers other arguments than the agent sent is caught.
 */
export function compareApprovalArguments(row: ApprovalRow | null, call: ChainCall): Integrity {
  if (!row || call.eventCount === 0) return verdict([], []);
  if (!("argsRedacted" in call.values)) return verdict([], ["approval arguments"]);
  const chain = call.values.argsRedacted;
  return sameValue(row.argsRedacted, chain) ? verdict([], []) : verdict([disagreement("approvals", "argsRedacted", row.argsRedacted, chain)], []);
}

export function verdict(problems: string[], unverified: string[]): Integrity {
  return { ok: problems.length === 0, problems, unverified };
}

export function mergeIntegrity(...parts: Integrity[]): Integrity {
  return verdict(
    [...new Set(parts.flatMap((p) => p.problems))],
    [...new Set(parts.flatMap((p) => p.unverified))],
  );
}

export function callRowValues(row: ToolCallRow): Record<CallField, unknown> {
  return {
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    grantName: row.grantName,
    sessionId: row.sessionId,
    upstream: row.upstream,
    tool: row.tool,
    argsRedacted: row.argsRedacted,
    argsHash: row.argsHash,
    decision: row.decision,
    rule: row.rule,
    reason: row.reason,
    status: row.status,
    durationMs: row.durationMs,
    error: row.error,
  };
}

function approvalRowValues(row: ApprovalRow): Record<ApprovalField, unknown> {
  return {
    callId: row.callId,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    upstream: row.upstream,
    tool: row.tool,
    grantName: row.grantName,
    grantOwner: row.grantOwner,
    sessionId: row.sessionId,
    argsHash: row.argsHash,
    rule: row.rule,
    reason: row.reason,
    spec: row.spec,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionReason: row.decisionReason,
    executedAt: row.executedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    durationMs: row.durationMs,
    error: row.error === null ? null : redactText(row.error),
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function disagreement(table: string, field: CallField | ApprovalField, stored: unknown, chain: unknown): string {
  return `${FIELD_LABELS[field]}: the ${table} row says ${show(stored)}, the audit chain says ${show(chain)}`;
}

function show(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

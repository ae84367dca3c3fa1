// What an audit event says about the rows people are shown. The writer copies every tool_calls upsert
// into its event (`data.call`), and approval transitions carry the approval as it stood (`data.approval`),
// so the hash chain alone can rebuild both rows; a row that differs from what its events say was changed
// behind the chain's back. Events written before these snapshots existed are read with `legacy.ts`.

/** `data.call`: the tool_calls values this event's upsert wrote, in their stored form. */
export interface CallSnapshot {
  createdAt: string;
  finishedAt: string | null;
  grantName: string;
  sessionId: string;
  upstream: string;
  tool: string;
  argsRedacted: unknown;
  argsHash: string;
  decision: string;
  rule: string | null;
  reason: string | null;
  status: string;
  durationMs: number | null;
  error: string | null;
}

export interface VoteSnapshot {
  voter: string;
  vote: string;
  reason: string | null;
  /** approval_votes.created_at, ISO-8601 with milliseconds. */
  at: string;
}

/** `data.approval`: the approvals row (and its votes) as it stood when the event was recorded. */
export interface ApprovalSnapshot {
  id: string;
  /** approvals.version: the snapshot with the highest version is the newest, whatever order events committed in. */
  version: number;
  callId: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  upstream: string;
  tool: string;
  grantName: string;
  grantOwner: string | null;
  sessionId: string;
  argsHash: string;
  rule: string | null;
  reason: string | null;
  spec: unknown;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  executedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Redacted (the row keeps the upstream's text as it came). */
  error: string | null;
  votes: VoteSnapshot[];
}

/** The fields of an approvals row that its events vouch for (compared as JSON, dates as ISO strings). */
export const APPROVAL_FIELDS = [
  "callId",
  "status",
  "createdAt",
  "expiresAt",
  "upstream",
  "tool",
  "grantName",
  "grantOwner",
  "sessionId",
  "argsHash",
  "rule",
  "reason",
  "spec",
  "decidedBy",
  "decidedAt",
  "decisionReason",
  "executedAt",
  "finishedAt",
  "durationMs",
  "error",
] as const satisfies readonly (keyof ApprovalSnapshot)[];

/** The fields of a tool_calls row that its events vouch for. */
export const CALL_FIELDS = [
  "createdAt",
  "finishedAt",
  "grantName",
  "sessionId",
  "upstream",
  "tool",
  "argsRedacted",
  "argsHash",
  "decision",
  "rule",
  "reason",
  "status",
  "durationMs",
  "error",
] as const satisfies readonly (keyof CallSnapshot)[];

export type CallField = (typeof CALL_FIELDS)[number];
export type ApprovalField = (typeof APPROVAL_FIELDS)[number];

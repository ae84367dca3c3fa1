// Events written before they carried snapshots (`data.call`, `data.approval`) still say a good deal:
// type, actor, decision, rule, reason, argument hash, session, duration, error, the approval's status
// and who decided. Values are compared in their stored form (see storable.ts), except where the row
// keeps the original text (approval votes). This reads what they say; what they cannot say (the redacted arguments, when a call
// finished, vote times…) stays unknown, and rows resting on it are reported as unverified, not as fine.
import type { CheckedEvent } from "./events.ts";
import { redactText } from "./redact.ts";
import type { CallField } from "./snapshot.ts";
import { fromStorableText, toStorableText } from "./storable.ts";

/** The tool_calls status a held call has while its approval is in each state. */
export const CALL_STATUS_OF_APPROVAL: Readonly<Record<string, string>> = {
  pending: "pending_approval",
  approved: "approved",
  executing: "executing",
  succeeded: "succeeded",
  failed: "failed",
  outcome_unknown: "outcome_unknown",
  denied: "denied",
  expired: "expired",
  cancelled: "cancelled",
};

const REFUSED = new Set(["call.denied", "call.hidden", "call.rate_limited"]);

/** Partial call values an old event vouches for; null when the event wrote no tool_calls row. */
export function legacyCallValues(event: CheckedEvent): Partial<Record<CallField, unknown>> | null {
  const { data } = event;
  if (typeof data.argsHash !== "string") return null;
  const values: Partial<Record<CallField, unknown>> = {
    createdAt: event.at,
    argsHash: data.argsHash,
    rule: event.rule,
    reason: event.reason,
    durationMs: typeof data.durationMs === "number" ? data.durationMs : null,
    error: typeof data.error === "string" && data.error !== "" ? toStorableText(redactText(fromStorableText(data.error))) : null,
  };
  if (event.actor.startsWith("grant:")) values.grantName = event.actor.slice("grant:".length);
  if (typeof data.sessionId === "string") values.sessionId = data.sessionId;
  if (event.upstream !== null) values.upstream = event.upstream;
  if (event.tool !== null) values.tool = event.tool;
  if (event.decision !== null) values.decision = event.decision;
  const status = legacyCallStatus(event);
  if (status !== null) values.status = status;
  return values;
}

function legacyCallStatus(event: CheckedEvent): string | null {
  if (event.type === "call.allowed") return "forwarded";
  if (REFUSED.has(event.type)) return "refused";
  if (event.type.startsWith("call.")) return event.type.slice("call.".length);
  if (event.type === "approval.attached" || event.type === "approval.replayed") return event.type.slice("approval.".length);
  const status = event.data.status;
  return typeof status === "string" ? (CALL_STATUS_OF_APPROVAL[status] ?? null) : null;
}

export interface LegacyVote {
  voter: string;
  vote: string;
  /** undefined: the old events do not say. */
  reason?: string | null;
}

/** Votes as old events tell them: approval.vote events, and the deciding vote in the decision's actor. */
export function legacyVotes(events: readonly CheckedEvent[], approvalId: string): LegacyVote[] {
  const votes = new Map<string, LegacyVote>();
  for (const event of events) {
    if (event.data.approvalId !== approvalId) continue;
    if (event.type === "approval.vote" && typeof event.data.vote === "string") {
      const voter = fromStorableText(event.actor);
      votes.set(voter, { voter, vote: event.data.vote, reason: typeof event.data.reason === "string" ? fromStorableText(event.data.reason) : null });
    } else if ((event.type === "approval.approved" || event.type === "approval.denied") && typeof event.data.via === "string") {
      const voter = fromStorableText(event.actor);
      votes.set(voter, { voter, vote: event.type === "approval.approved" ? "approve" : "deny" });
    }
  }
  return [...votes.values()];
}

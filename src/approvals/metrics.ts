// Decisions as metrics. A decision is counted by the process whose conditional UPDATE ended the pending
// state, so each is counted once and the replicas' counts add up; its time runs from the request
// (the approval row's creation) to the decision.
import type { DecisionChannel, Metrics } from "../metrics/index.ts";
import type { Approval, Ballot, VoteChannel } from "./types.ts";

export type DecisionMetrics = Pick<Metrics, "approvalDecisions" | "timeToDecision">;

/** Counts an approval that just left `pending` (approved, denied, expired or cancelled). */
export function countDecision(metrics: DecisionMetrics | undefined, decided: Approval, channel: DecisionChannel): void {
  if (!metrics) return;
  const labels = { outcome: decided.status, channel };
  const decidedAt = decided.decidedAt ?? decided.finishedAt ?? new Date();
  metrics.approvalDecisions.inc(labels);
  metrics.timeToDecision.observe(labels, Math.max(0, decidedAt.getTime() - decided.createdAt.getTime()) / 1000);
}

export function voteChannel(ballot: Ballot): VoteChannel {
  return ballot.channel ?? (ballot.voter.via === "slack" ? "slack" : "api");
}

/**
 * Whether a cancelled approval was still pending (a decision to count) rather than approved and waiting
 * for its agent (already counted as approved). Only a quorum of approve votes approves.
 */
export function wasPendingWhenCancelled(cancelled: Approval): boolean {
  const approvals = new Set(cancelled.votes.filter((v) => v.vote === "approve").map((v) => v.voter)).size;
  return approvals < cancelled.spec.minApprovals;
}

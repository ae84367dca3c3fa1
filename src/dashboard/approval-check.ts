// Approvals as reviewers are shown them: each approvals row checked against the hash-chained events of its
// call (`checkApprovals`). A row edited behind the chain's back (its arguments, status, votes, who decided)
// is shown with what the chain says and flagged, never presented as the truth.
import type { Approval, ApprovalStatus } from "../approvals/index.ts";
import { checkApprovalsSettled, type AuditWriter, type CheckedApproval, type Integrity } from "../audit/index.ts";
import type { Database } from "../db/index.ts";

export interface ShownApproval extends Approval {
  /** The chain's verdict on the row; null when it was not checked. */
  integrity: Integrity | null;
}

export async function checkedApprovals(database: Database, audit: AuditWriter, approvals: readonly Approval[]): Promise<ShownApproval[]> {
  const checks = await checkApprovalsSettled(
    database,
    audit,
    approvals.map((a) => a.id),
  );
  return approvals.map((approval) => asTheChainTellsIt(approval, checks.get(approval.id)));
}

/** The approval with the values its events vouch for in place of the stored ones. */
export function asTheChainTellsIt(approval: Approval, checked: CheckedApproval | undefined): ShownApproval {
  if (!checked) return { ...approval, integrity: null };
  const { approval: chain, integrity, arguments: args } = checked;
  return {
    ...approval,
    status: (chain.status ?? approval.status) as ApprovalStatus,
    decidedBy: chain.decidedBy,
    decidedAt: chain.decidedAt ? new Date(chain.decidedAt) : null,
    decisionReason: chain.decisionReason,
    argsRedacted: args.isKnown ? args.redacted : approval.argsRedacted,
    votes: chain.votes.map((v) => ({ voter: v.voter, vote: v.vote === "approve" ? "approve" : "deny", reason: v.reason, createdAt: v.at ? new Date(v.at) : approval.createdAt })),
    integrity,
  };
}

// Audit entries for approval transitions; the tool_calls row of the held call follows its approval.
import type { AuditEntry } from "../audit/index.ts";
import type { FollowUpCall } from "./service.ts";
import type { Approval } from "./types.ts";

const CALL_STATUS: Record<Approval["status"], string> = {
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

export function approvalAuditEntry(approval: Approval, type: string, actor: string, data: Record<string, unknown> = {}): AuditEntry {
  const isFinal = !["pending", "approved", "executing"].includes(approval.status);
  return {
    event: {
      type,
      actor,
      callId: approval.callId,
      upstream: approval.upstream,
      tool: approval.tool,
      decision: "require_approval",
      rule: approval.rule,
      reason: approval.decisionReason ?? approval.reason,
      data: {
        approvalId: approval.id,
        status: approval.status,
        decidedBy: approval.decidedBy,
        argsHash: approval.argsHash,
        ...(approval.durationMs !== null ? { durationMs: approval.durationMs } : {}),
        ...(approval.error ? { error: approval.error } : {}),
        ...data,
      },
    },
    call: {
      id: approval.callId,
      grantName: approval.grantName,
      sessionId: approval.sessionId,
      upstream: approval.upstream,
      tool: approval.tool,
      argsRedacted: approval.argsRedacted,
      argsHash: approval.argsHash,
      decision: "require_approval",
      rule: approval.rule,
      reason: approval.decisionReason ?? approval.reason,
      status: CALL_STATUS[approval.status],
      durationMs: approval.durationMs,
      error: approval.error,
      finishedAt: isFinal ? (approval.finishedAt ?? approval.decidedAt ?? new Date()) : null,
    },
  };
}

/** A later identical call: its own tool_calls row, pointing at the approval it followed. */
export function followUpAuditEntry(approval: Approval, call: FollowUpCall, kind: "attached" | "replayed"): AuditEntry {
  const reason = kind === "attached" ? `attached to approval ${approval.id} (${approval.status})` : `answered from approval ${approval.id} (${approval.status})`;
  return {
    event: {
      type: `approval.${kind}`,
      actor: `grant:${approval.grantName}`,
      callId: call.callId,
      upstream: approval.upstream,
      tool: approval.tool,
      decision: "require_approval",
      rule: approval.rule,
      reason,
      data: { approvalId: approval.id, status: approval.status, argsHash: approval.argsHash, sessionId: call.sessionId },
    },
    call: {
      id: call.callId,
      grantName: approval.grantName,
      sessionId: call.sessionId,
      upstream: approval.upstream,
      tool: approval.tool,
      argsRedacted: approval.argsRedacted,
      argsHash: approval.argsHash,
      decision: "require_approval",
      rule: approval.rule,
      reason,
      status: kind,
      finishedAt: new Date(),
    },
  };
}

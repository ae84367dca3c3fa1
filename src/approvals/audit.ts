// Audit entries for approval transitions; the tool_calls row of the held call follows its approval.
// Each event carries the approval as it stood (`approval`), votes included, so the chain can vouch for
// the approvals and approval_votes rows people are shown; the event that ends a run keeps a summary of
// what the upstream answered.
import { CALL_STATUS_OF_APPROVAL, redactText, summarizeResult, type ApprovalSnapshot, type AuditEntry } from "../audit/index.ts";
import type { FollowUpCall } from "./service.ts";
import type { Approval } from "./types.ts";

const RAN: ReadonlySet<Approval["status"]> = new Set(["succeeded", "failed", "outcome_unknown"]);

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
        ...(approval.error ? { error: redactText(approval.error) } : {}),
        ...(approval.result && RAN.has(approval.status) && type === `approval.${approval.status}` ? { result: summarizeResult(approval.result) } : {}),
        ...data,
        approval: approvalSnapshot(approval),
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
      status: CALL_STATUS_OF_APPROVAL[approval.status] ?? approval.status,
      durationMs: approval.durationMs,
      error: approval.error,
      finishedAt: isFinal ? (approval.finishedAt ?? approval.decidedAt ?? new Date()) : null,
    },
  };
}

function approvalSnapshot(approval: Approval): ApprovalSnapshot {
  const iso = (at: Date | null) => at?.toISOString() ?? null;
  return {
    id: approval.id,
    version: approval.version,
    callId: approval.callId,
    status: approval.status,
    createdAt: approval.createdAt.toISOString(),
    expiresAt: approval.expiresAt.toISOString(),
    upstream: approval.upstream,
    tool: approval.tool,
    grantName: approval.grantName,
    grantOwner: approval.grantOwner,
    sessionId: approval.sessionId,
    argsHash: approval.argsHash,
    rule: approval.rule,
    reason: approval.reason,
    spec: approval.spec,
    decidedBy: approval.decidedBy,
    decidedAt: iso(approval.decidedAt),
    decisionReason: approval.decisionReason,
    executedAt: iso(approval.executedAt),
    finishedAt: iso(approval.finishedAt),
    durationMs: approval.durationMs,
    error: approval.error === null ? null : redactText(approval.error),
    votes: approval.votes.map((v) => ({ voter: v.voter, vote: v.vote, reason: v.reason, at: v.createdAt.toISOString() })),
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
      data: { approvalId: approval.id, status: approval.status, argsHash: approval.argsHash, sessionId: call.sessionId, ...(call.client ? { client: call.client } : {}) },
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

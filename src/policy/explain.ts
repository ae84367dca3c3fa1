// What `gatehouse policy explain` prints: a stable JSON shape, and the same facts for people.
import type { Decision, ResolvedApprovalSpec, ResolvedLimit } from "./evaluate.ts";

export interface DecisionExplanation {
  decision: Decision["kind"];
  rule: string | null;
  reason: string;
}

export function explainDecision(decision: Decision): DecisionExplanation {
  return { decision: decision.kind, rule: decision.rule, reason: decision.reason };
}

export function formatDecisionText(decision: Decision): string {
  const lines = [
    `decision: ${decision.kind}`,
    `rule:     ${decision.rule ?? "(none)"}`,
    `reason:   ${decision.reason}`,
  ];
  if (decision.kind === "allow" || decision.kind === "require_approval") {
    lines.push(...decision.limits.map((limit, index) => `${index === 0 ? "limits:  " : "         "} ${describeLimit(limit)}`));
  }
  if (decision.kind === "require_approval") lines.push(`approval: ${describeApproval(decision.approval)}`);
  return lines.join("\n");
}

function describeLimit(limit: ResolvedLimit): string {
  return `${limit.max} per ${limit.window} per ${limit.scope} (counter "${limit.counter}", ${limit.rule})`;
}

function describeApproval(approval: ResolvedApprovalSpec): string {
  const who = approval.approvers.length > 0 ? approval.approvers.join(", ") : "anyone in the channel";
  const parts = [
    `channel ${approval.channel ?? "(gateway default)"}`,
    `approvers ${who}`,
    `${approval.minApprovals} approval(s) needed`,
    `timeout ${approval.timeout} then ${approval.onTimeout}`,
    approval.allowSelfApproval ? "self-approval allowed" : "no self-approval",
    `wait ${approval.wait}`,
  ];
  return `${parts.join(", ")}${approval.rule ? ` (${approval.rule})` : " (defaults)"}`;
}

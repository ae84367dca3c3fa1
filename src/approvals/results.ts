// What the agent's client sees for a held call in each state (DESIGN §5). Denied, expired,
// cancelled and unknown outcomes are isError results whose text says why; executed calls return the
// upstream's result as it was stored.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { META_PREFIX } from "../proxy/results.ts";
import type { Approval } from "./types.ts";
import { plainText, renderVoter } from "./voters.ts";

export const STATUS_TOOL_NAME = "gatehouse_approval_status";

function meta(approval: Approval): Record<string, unknown> {
  return {
    [`${META_PREFIX}decision`]: "require_approval",
    [`${META_PREFIX}rule`]: approval.rule,
    [`${META_PREFIX}call_id`]: approval.callId,
    [`${META_PREFIX}approval_id`]: approval.id,
    [`${META_PREFIX}approval_status`]: approval.status,
  };
}

function errorResult(approval: Approval, text: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text }], _meta: meta(approval) };
}

/** The final answer for a call that is no longer waiting. */
export function finalResult(approval: Approval): CallToolResult {
  switch (approval.status) {
    case "succeeded":
    case "failed": {
      const stored = approval.result ?? { content: [{ type: "text", text: approval.error ?? "no result stored" }], isError: approval.status === "failed" };
      return { ...stored, _meta: { ...(stored._meta ?? {}), ...meta(approval) } } as CallToolResult;
    }
    case "denied":
      return errorResult(approval, `Denied by ${renderVoter(approval.decidedBy, "agent")}${approval.decisionReason ? `: ${plainText(approval.decisionReason)}` : "."}`);
    case "expired":
      return errorResult(approval, `Not approved in time: the approval request expired after ${approval.spec.timeout} without a decision. The call was not executed.`);
    case "cancelled":
      return errorResult(approval, `Cancelled${approval.decisionReason ? `: ${approval.decisionReason}` : ""}. The call was not executed.`);
    case "outcome_unknown":
      return errorResult(approval, `The approved call may or may not have run: ${approval.error ?? "the gateway stopped during execution"}. Gatehouse does not retry it; check the upstream before trying again.`);
    default:
      return ticketResult(approval);
  }
}

/** Answer for a call that is still waiting: names the approval and how to follow it. */
export function ticketResult(approval: Approval): CallToolResult {
  const where = approval.spec.channel ? ` in ${approval.spec.channel}` : "";
  const text =
    `${approval.exposedTool} is waiting for human approval${where} (status: ${approval.status}). ` +
    `Approval id: ${approval.id}. It expires at ${approval.expiresAt.toISOString()}. ` +
    `The call has NOT run yet. Call ${STATUS_TOOL_NAME} with {"id": "${approval.id}"} to get the decision or, once approved, the result.`;
  return { content: [{ type: "text", text }], _meta: meta(approval) };
}

export function waitingMessage(approval: Approval, now: Date): string {
  const left = Math.max(0, Math.round((approval.expiresAt.getTime() - now.getTime()) / 1000));
  const where = approval.spec.channel ? ` in ${approval.spec.channel}` : "";
  const votes = approval.votes.filter((v) => v.vote === "approve").length;
  return `Waiting for approval${where}: ${votes}/${approval.spec.minApprovals} approvals, ${formatSeconds(left)} left (approval ${approval.id})`;
}

function formatSeconds(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${seconds} s`;
}

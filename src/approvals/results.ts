// What the agent's client sees for a held call (DESIGN §5). Ended approvals: the upstream's stored
// result, or an isError result whose text says why nothing ran. Open approvals: the pending answer,
// which says plainly that the call has NOT run and how to keep waiting. Agent-facing text carries no
// Slack markup.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { META_PREFIX } from "../proxy/results.ts";
import { renderPendingText } from "./hold-settings.ts";
import { isUnclaimedExpiry, type Approval } from "./types.ts";
import { plainText, renderVoter } from "./voters.ts";

export const STATUS_TOOL_NAME = "gatehouse_approval_status";

function meta(approval: Approval, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    [`${META_PREFIX}decision`]: "require_approval",
    [`${META_PREFIX}rule`]: approval.rule,
    [`${META_PREFIX}call_id`]: approval.callId,
    [`${META_PREFIX}approval_id`]: approval.id,
    [`${META_PREFIX}approval_status`]: approval.status,
    ...extra,
  };
}

function errorResult(approval: Approval, text: string, extra?: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: "text", text }], _meta: meta(approval, extra) };
}

/**
 * The answer for an approval that ended. `isReplay`: an identical call got the answer of an earlier one
 * (a stored result is returned again, never run again).
 */
export function finalResult(approval: Approval, options: { isReplay?: boolean } = {}): CallToolResult {
  const extra = options.isReplay ? { [`${META_PREFIX}replayed`]: true } : {};
  switch (approval.status) {
    case "succeeded":
    case "failed": {
      const stored = approval.result ?? { content: [{ type: "text", text: approval.error ?? "no result stored" }], isError: approval.status === "failed" };
      return { ...stored, _meta: { ...(stored._meta ?? {}), ...meta(approval, extra) } } as CallToolResult;
    }
    case "denied":
      return errorResult(approval, `Denied by ${renderVoter(approval.decidedBy, "agent")}${approval.decisionReason ? `: ${sentence(plainText(approval.decisionReason))}` : "."} The call was not executed.`, extra);
    case "expired":
      return errorResult(
        approval,
        isUnclaimedExpiry(approval)
          ? `Approved by ${renderVoter(approval.decidedBy, "agent")}, but no agent came back for the result before the deadline, so the call was not executed. Call the tool again to ask again.`
          : `Not approved in time: the approval request expired after ${approval.spec.timeout} without a decision. The call was not executed.`,
        extra,
      );
    case "cancelled":
      return errorResult(approval, `Cancelled${approval.decisionReason ? `: ${sentence(plainText(approval.decisionReason))}` : "."} The call was not executed.`, extra);
    case "outcome_unknown":
      return errorResult(approval, `The approved call may or may not have run: ${approval.error ?? "the gateway stopped during execution"}. Gatehouse does not retry it; check the upstream before trying again.`, extra);
    default:
      throw new Error(`approval ${approval.id} is still ${approval.status}: use pendingAnswer`);
  }
}

/** The answer for a call that stopped waiting while its approval is still open. */
export function pendingAnswer(approval: Approval, template: string, note?: string): CallToolResult {
  const base =
    approval.status === "pending"
      ? renderPendingText(template, { tool: approval.exposedTool, id: approval.id, channel: approval.spec.channel, deadline: approval.expiresAt, statusTool: STATUS_TOOL_NAME })
      : `${approval.exposedTool} was approved and ${approval.status === "executing" ? "is running now" : "is about to run"} (approval ${approval.id}). ` +
        `Call ${approval.exposedTool} again with exactly the same arguments to get its result; it runs at most once.`;
  // isError: the call did not do its work yet, and SDK clients refuse a non-error result without the
  // structuredContent a tool's outputSchema promises.
  return errorResult(approval, note ? `${note} ${base}` : base, { [`${META_PREFIX}call_again`]: true });
}

export function waitingMessage(approval: Approval, now: Date): string {
  const left = Math.max(0, Math.round((approval.expiresAt.getTime() - now.getTime()) / 1000));
  if (approval.status === "approved") return `Approved; starting the call (approval ${approval.id})`;
  if (approval.status === "executing") return `Approved; the call is running (approval ${approval.id})`;
  const where = approval.spec.channel ? ` in ${approval.spec.channel}` : "";
  const votes = approval.votes.filter((v) => v.vote === "approve").length;
  return `Waiting for approval${where}: ${votes}/${approval.spec.minApprovals} approvals, ${formatSeconds(left)} left (approval ${approval.id})`;
}

/** Ends reviewer- or client-written text with a full stop unless it has its own. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function formatSeconds(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${seconds} s`;
}

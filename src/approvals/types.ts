// Approval domain types shared by the state machine, Slack, queues, the API and the CLI.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalSpecColumn } from "../db/index.ts";

export type ApprovalStatus =
  | "pending"
  | "approved"
  | "denied"
  | "expired"
  | "cancelled"
  | "executing"
  | "succeeded"
  | "failed"
  | "outcome_unknown";

export const TERMINAL_STATUSES: readonly ApprovalStatus[] = ["denied", "expired", "cancelled", "succeeded", "failed", "outcome_unknown"];

/** How the agent's client waits: a held request, an MCP task, or a ticket it polls. */
export type HoldMode = "hold" | "task" | "ticket";

export type ApprovalSpec = ApprovalSpecColumn;

export interface Approval {
  id: string;
  callId: string;
  status: ApprovalStatus;
  createdAt: Date;
  expiresAt: Date;
  upstream: string;
  tool: string;
  exposedTool: string;
  args: Record<string, unknown>;
  argsRedacted: unknown;
  argsHash: string;
  grantName: string;
  grantOwner: string | null;
  sessionId: string;
  rule: string | null;
  reason: string | null;
  spec: ApprovalSpec;
  holdMode: HoldMode;
  /** Gateway instance holding the client's request (hold mode). */
  holderInstance: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  slackChannel: string | null;
  slackTs: string | null;
  result: CallToolResult | null;
  error: string | null;
  executedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  votes: Vote[];
}

export interface Vote {
  voter: string;
  vote: "approve" | "deny";
  reason: string | null;
  createdAt: Date;
}

/** Who is voting. `id` is stable and unique per person: "slack:<team>:<user>", "admin:<name>", "cli:<user>". */
export interface Voter {
  id: string;
  /** Display name for messages and audit ("<@U123>" for Slack users). */
  display: string;
  /** Present for Slack voters: checked against approvers and the grant owner. */
  slackUserId?: string;
  /** Admin API / CLI voters are trusted operators: approver lists do not apply to them. */
  isOperator?: boolean;
}

export type VoteOutcome =
  | { kind: "recorded"; approval: Approval; approvals: number; needed: number }
  | { kind: "decided"; approval: Approval }
  | { kind: "already_decided"; approval: Approval }
  | { kind: "duplicate"; approval: Approval }
  | { kind: "not_allowed"; approval: Approval; reason: string }
  | { kind: "not_found" };

/** Posts and updates the reviewer-facing message (Slack). Errors are thrown; the queue retries. */
export interface ApprovalNotifier {
  /** Posts the message for this approval as it is now; returns where it was posted. */
  post(approval: Approval): Promise<{ channel: string; ts: string }>;
  /** Rewrites the posted message to show the approval's current state. */
  update(approval: Approval & { slackChannel: string; slackTs: string }): Promise<void>;
}

export function isTerminal(status: ApprovalStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

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

/** Open: an identical call attaches to it instead of asking people again. */
export const OPEN_STATUSES: readonly ApprovalStatus[] = ["pending", "approved", "executing"];

/** How the first call waited: a held request, an MCP task, or a pending answer at once (ticket). */
export type HoldMode = "hold" | "task" | "ticket";

/** Whether an agent is there to take the result (DESIGN §5: nothing runs without one). */
export interface AgentPresence {
  /** A held request or status call is waiting now, or an open MCP task will store the result. */
  isWaiting: boolean;
  /** How many times the agent came back (identical calls, status calls) after the first call. */
  returns: number;
  /** Last time an agent attached or left. */
  lastSeenAt: Date | null;
}

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
  /** The exact arguments, sealed (AES-256-GCM); null once the call was claimed or the approval ended. */
  argsSealed: string | null;
  argsRedacted: unknown;
  argsHash: string;
  grantName: string;
  grantOwner: string | null;
  sessionId: string;
  rule: string | null;
  reason: string | null;
  spec: ApprovalSpec;
  holdMode: HoldMode;
  agent: AgentPresence;
  /** Bumped by every change a reviewer can see; the Slack message shows `slackVersion`. */
  version: number;
  slackVersion: number | null;
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

/** A person casting a vote (see voters.ts for the id scheme and the builders). */
export interface Voter {
  /** The person: "slack:U0ALICE", "reviewer:alice", "oidc:alice@example.com" or "admin". Stored in approval_votes.voter and approvals.decided_by. */
  id: string;
  /** The Slack user this person is (a click, or a reviewer linked to a Slack id): checked against approvers and the grant owner. */
  slackUserId: string | null;
  /** The shared admin identity is an operator: approver lists do not apply to it. */
  isOperator: boolean;
  /** How the vote arrived, for the audit trail: "slack" (a click), "reviewer:<name>" (a reviewer credential), "oidc:<identity>" (single sign-on) or "admin". */
  via: string;
}

/** A posted Slack message: where a click came from, compared with where the approval's message was posted. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** Where a vote was cast; counted in gatehouse_approval_decisions_total{channel}. */
export type VoteChannel = "slack" | "api" | "cli" | "dashboard";

export interface Ballot {
  voter: Voter;
  /** Where the vote was cast; by default "slack" for Slack clicks and "api" otherwise. */
  channel?: VoteChannel;
  vote: "approve" | "deny";
  reason?: string;
  /**
   * Slack votes (`via: "slack"`) only: the message the button was on. A vote counts only when this is the message
   * posted for the approval; null (unknown) is refused like a mismatch.
   */
  message?: SlackMessageRef | null;
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

export function isOpen(status: ApprovalStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/** Approved, but no agent came back to take the result before the deadline: it ended without running. */
export function isUnclaimedExpiry(approval: Pick<Approval, "status" | "decidedBy">): boolean {
  return approval.status === "expired" && approval.decidedBy !== null && approval.decidedBy !== "timeout";
}

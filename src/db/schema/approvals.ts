// One row per held call (DESIGN §6). Every transition is a conditional UPDATE on `status`; the row is
// bound to `args_hash` = sha256(canonical {upstream, tool, arguments}) so what runs is what was shown.
// A call identity (grant, upstream, tool, args_hash) has at most one open approval: identical calls attach.
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, optionalTime } from "./columns.ts";

export interface ApprovalSpecColumn {
  channel: string | null;
  approvers: string[];
  minApprovals: number;
  allowSelfApproval: boolean;
  wait: "hold" | "ticket";
  timeout: string;
}

export const approvals = pgTable(
  "approvals",
  {
    id: uuid("id").primaryKey(),
    callId: uuid("call_id").notNull(),
    createdAt: createdAt(),
    expiresAt: optionalTime("expires_at").notNull(),
    status: text("status").notNull(),
    upstream: text("upstream").notNull(),
    tool: text("tool").notNull(),
    exposedTool: text("exposed_tool").notNull(),
    /** Superseded by args_sealed; rows written before sealing existed are sealed at start-up. */
    args: jsonb("args").$type<Record<string, unknown>>(),
    /** The exact arguments, AES-256-GCM sealed; wiped once the call is claimed or the approval ends. */
    argsSealed: text("args_sealed"),
    argsRedacted: jsonb("args_redacted").notNull(),
    argsHash: text("args_hash").notNull(),
    grantName: text("grant_name").notNull(),
    grantOwner: text("grant_owner"),
    sessionId: text("session_id").notNull(),
    rule: text("rule"),
    reason: text("reason"),
    spec: jsonb("spec").$type<ApprovalSpecColumn>().notNull(),
    /** How the first call waited: held request, MCP task or pending answer at once (ticket). */
    holdMode: text("hold_mode").notNull(),
    executorInstance: text("executor_instance"),
    /** How many times an agent came back for this approval (identical retries, status calls). */
    attachCount: integer("attach_count").notNull().default(0),
    lastSeenAt: optionalTime("last_seen_at"),
    /** Bumped by every change a reviewer can see (transition, vote, agent attaching or leaving). */
    version: integer("version").notNull().default(0),
    /** The version the Slack message shows; behind `version` means the message needs rewriting. */
    slackVersion: integer("slack_version"),
    /** Quota reserved by the call, given back once if the approval ends without running. */
    quota: jsonb("quota").$type<unknown[]>(),
    quotaSettledAt: optionalTime("quota_settled_at"),
    decidedBy: text("decided_by"),
    decidedAt: optionalTime("decided_at"),
    decisionReason: text("decision_reason"),
    slackChannel: text("slack_channel"),
    slackTs: text("slack_ts"),
    result: jsonb("result").$type<Record<string, unknown>>(),
    error: text("error"),
    executedAt: optionalTime("executed_at"),
    finishedAt: optionalTime("finished_at"),
    durationMs: integer("duration_ms"),
    updatedAt: optionalTime("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("approvals_status_idx").on(t.status),
    index("approvals_created_at_idx").on(t.createdAt),
    index("approvals_call_idx").on(t.grantName, t.upstream, t.tool, t.argsHash, t.createdAt),
    uniqueIndex("approvals_open_call_idx")
      .on(t.grantName, t.upstream, t.tool, t.argsHash)
      .where(sql`status IN ('pending', 'approved', 'executing')`),
  ],
);

export type ApprovalRow = typeof approvals.$inferSelect;

// One row per held call (DESIGN §6). Every transition is a conditional UPDATE on `status`; the row is
// bound to `args_hash` = sha256(canonical {upstream, tool, arguments}) so what runs is what was shown.
import { index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
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
    /** The exact arguments to execute; needed after a restart (tasks, tickets). */
    args: jsonb("args").$type<Record<string, unknown>>().notNull(),
    argsRedacted: jsonb("args_redacted").notNull(),
    argsHash: text("args_hash").notNull(),
    grantName: text("grant_name").notNull(),
    grantOwner: text("grant_owner"),
    sessionId: text("session_id").notNull(),
    rule: text("rule"),
    reason: text("reason"),
    spec: jsonb("spec").$type<ApprovalSpecColumn>().notNull(),
    holdMode: text("hold_mode").notNull(),
    /** Gateway instance holding the client's request (hold mode) or executing the call. */
    holderInstance: text("holder_instance"),
    executorInstance: text("executor_instance"),
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
  (t) => [index("approvals_status_idx").on(t.status), index("approvals_created_at_idx").on(t.createdAt)],
);

export type ApprovalRow = typeof approvals.$inferSelect;

// One row per tool call in its final state: the table reviewers query. The append-only history is audit_events.
import { index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, optionalTime } from "./columns.ts";

export const toolCalls = pgTable(
  "tool_calls",
  {
    id: uuid("id").primaryKey(),
    createdAt: createdAt(),
    finishedAt: optionalTime("finished_at"),
    grantName: text("grant_name").notNull(),
    sessionId: text("session_id").notNull(),
    upstream: text("upstream").notNull(),
    tool: text("tool").notNull(),
    argsRedacted: jsonb("args_redacted").notNull(),
    argsHash: text("args_hash").notNull(),
    decision: text("decision").notNull(),
    rule: text("rule"),
    reason: text("reason"),
    status: text("status").notNull(),
    durationMs: integer("duration_ms"),
    error: text("error"),
  },
  (t) => [
    index("tool_calls_created_at_idx").on(t.createdAt),
    index("tool_calls_tool_idx").on(t.tool),
    index("tool_calls_grant_idx").on(t.grantName),
  ],
);

export type ToolCallRow = typeof toolCalls.$inferSelect;

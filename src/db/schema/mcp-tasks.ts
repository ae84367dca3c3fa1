// MCP tasks (protocol 2025-11-25) created for held calls. Durable so tasks/get and tasks/result work
// after a restart and from any replica. Scoped by grant, not by MCP session.
import { index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, optionalTime } from "./columns.ts";

export const mcpTasks = pgTable(
  "mcp_tasks",
  {
    id: text("id").primaryKey(),
    grantName: text("grant_name").notNull(),
    approvalId: uuid("approval_id"),
    status: text("status").notNull(),
    statusMessage: text("status_message"),
    ttlMs: integer("ttl_ms"),
    pollIntervalMs: integer("poll_interval_ms"),
    request: jsonb("request").$type<Record<string, unknown>>(),
    result: jsonb("result").$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: optionalTime("updated_at").notNull().defaultNow(),
  },
  (t) => [index("mcp_tasks_grant_idx").on(t.grantName, t.createdAt)],
);

export type McpTaskRow = typeof mcpTasks.$inferSelect;

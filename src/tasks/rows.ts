// Shared by the grant-scoped TaskStore and the unscoped ledger: how an `mcp_tasks` row becomes an MCP
// Task, and the SQL that hides expired rows. Expiry is judged by the database clock, so every replica
// agrees on when a task disappears.
import type { Task } from "@modelcontextprotocol/sdk/types.js";
import { sql, type SQL } from "drizzle-orm";
import { mcpTasks, type McpTaskRow } from "../db/index.ts";

export type TaskStatus = Task["status"];
export type TerminalTaskStatus = "completed" | "failed" | "cancelled";

export const TERMINAL_TASK_STATUSES: readonly TerminalTaskStatus[] = ["completed", "failed", "cancelled"];

const TASK_STATUSES: readonly TaskStatus[] = ["working", "input_required", ...TERMINAL_TASK_STATUSES];

/** An MCP task as Gatehouse keeps it: the protocol view plus who owns it and what it waits for. */
export type GatewayTask = Task & { grantName: string; approvalId: string | null };

/** ttl is counted from creation (spec: "duration to retain task from creation"). */
export const isLive: SQL = sql`(${mcpTasks.ttlMs} IS NULL OR ${mcpTasks.createdAt} + ${mcpTasks.ttlMs} * interval '1 millisecond' > now())`;

export const isOpen: SQL = sql`${mcpTasks.status} NOT IN ('completed', 'failed', 'cancelled')`;

export function toTask(row: McpTaskRow): Task {
  return {
    taskId: row.id,
    status: toStatus(row.status),
    ttl: row.ttlMs,
    createdAt: row.createdAt.toISOString(),
    lastUpdatedAt: row.updatedAt.toISOString(),
    ...(row.pollIntervalMs !== null && { pollInterval: row.pollIntervalMs }),
    ...(row.statusMessage !== null && { statusMessage: row.statusMessage }),
  };
}

export function toGatewayTask(row: McpTaskRow): GatewayTask {
  return { ...toTask(row), grantName: row.grantName, approvalId: row.approvalId };
}

function toStatus(value: string): TaskStatus {
  const status = TASK_STATUSES.find((s) => s === value);
  if (!status) throw new Error(`mcp_tasks row has an unknown status "${value}"`);
  return status;
}

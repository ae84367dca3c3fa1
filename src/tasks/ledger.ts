// Task operations outside any MCP request: the approval executor (on whichever gateway process runs the
// call) finds the task of an approval and completes it; the client sees it on its next tasks/get.
import type { Result } from "@modelcontextprotocol/sdk/types.js";
import { and, desc, eq, sql } from "drizzle-orm";
import { toStorableJson } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { mcpTasks } from "../db/index.ts";
import { isLive, isOpen, toGatewayTask, type GatewayTask, type TerminalTaskStatus } from "./rows.ts";

export interface TaskLedger {
  /** Records which approval a task waits for. False when the task is unknown, expired or already final. */
  linkTaskToApproval(taskId: string, approvalId: string): Promise<boolean>;
  /** The live tasks waiting for this approval (an identical task call attaches a task of its own). */
  findTasksByApproval(approvalId: string): Promise<GatewayTask[]>;
  /**
   * Ends an open task with the result tasks/result will return. False when it was already final
   * (e.g. the client cancelled it first) or is gone: the first ending wins.
   */
  completeTask(taskId: string, status: TerminalTaskStatus, result: Result, statusMessage?: string): Promise<boolean>;
  /** Changes what tasks/get says while the task is open ("1 of 2 approvals", "approved, running"). */
  setStatusMessage(taskId: string, statusMessage: string): Promise<boolean>;
  /** Deletes tasks whose ttl has passed; they are already invisible, this only reclaims the rows. */
  purgeExpiredTasks(): Promise<number>;
}

export function createTaskLedger(database: Database): TaskLedger {
  const { db } = database;
  const openTask = (taskId: string) => and(eq(mcpTasks.id, taskId), isLive, isOpen);

  return {
    async linkTaskToApproval(taskId, approvalId) {
      const rows = await db.update(mcpTasks).set({ approvalId, updatedAt: sql`now()` }).where(openTask(taskId)).returning({ id: mcpTasks.id });
      return rows.length > 0;
    },

    async findTasksByApproval(approvalId) {
      const rows = await db
        .select()
        .from(mcpTasks)
        .where(and(eq(mcpTasks.approvalId, approvalId), isLive))
        .orderBy(desc(mcpTasks.createdAt));
      return rows.map(toGatewayTask);
    },

    async completeTask(taskId, status, result, statusMessage) {
      const rows = await db
        .update(mcpTasks)
        .set({ status, result: toStorableJson(result) as Result, ...(statusMessage !== undefined && { statusMessage }), updatedAt: sql`now()` })
        .where(openTask(taskId))
        .returning({ id: mcpTasks.id });
      return rows.length > 0;
    },

    async setStatusMessage(taskId, statusMessage) {
      const rows = await db.update(mcpTasks).set({ statusMessage, updatedAt: sql`now()` }).where(openTask(taskId)).returning({ id: mcpTasks.id });
      return rows.length > 0;
    },

    async purgeExpiredTasks() {
      const rows = await db.delete(mcpTasks).where(sql`NOT ${isLive}`).returning({ id: mcpTasks.id });
      return rows.length;
    },
  };
}

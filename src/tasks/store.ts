// The SDK's TaskStore on Postgres, scoped by grant rather than by MCP session: after a gateway restart
// (or on another replica) the agent comes back in a new session and must still reach its tasks.
// Every state change is one conditional UPDATE, so terminal states stay final under races.
import { randomUUID } from "node:crypto";
import type { CreateTaskOptions, TaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import { ErrorCode, type Request, type RequestId, type Result, type Task } from "@modelcontextprotocol/sdk/types.js";
import { and, desc, eq, sql } from "drizzle-orm";
import { fromStorableJson, toStorableJson } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { mcpTasks, type McpTaskRow } from "../db/index.ts";
import { TaskProtocolError, taskNotFound } from "./errors.ts";
import { isLive, isOpen, toGatewayTask, toTask, type GatewayTask, type TaskStatus } from "./rows.ts";

export interface TaskStoreOptions {
  /** ttl when the client asks for none. */
  defaultTtlMs?: number;
  /** Upper bound on a client-requested ttl (a gateway-required minimum may exceed it). */
  maxTtlMs?: number;
  pollIntervalMs?: number;
  pageSize?: number;
}

/** What Gatehouse passes in `CreateTaskOptions.context` when it creates a task for a held call. */
export interface TaskCreationContext {
  statusMessage?: string;
  approvalId?: string;
  /** The task must outlive the hold: the ttl is raised to at least this. */
  minTtlMs?: number;
}

export type CancelTaskOutcome =
  | { kind: "cancelled"; task: GatewayTask }
  | { kind: "already_final"; task: GatewayTask }
  | { kind: "not_found" };

export interface PostgresTaskStore extends TaskStore {
  readonly grantName: string;
  /** The task with its approval link, or null when it is unknown, expired or another grant's. */
  findTask(taskId: string): Promise<GatewayTask | null>;
  /** Moves an open task to `cancelled` (storing `result` for tasks/result); terminal tasks are left alone. */
  cancelTask(taskId: string, statusMessage: string, result?: Result): Promise<CancelTaskOutcome>;
}

export const TASK_DEFAULTS = {
  defaultTtlMs: 60 * 60_000,
  maxTtlMs: 7 * 24 * 60 * 60_000,
  pollIntervalMs: 5_000,
  pageSize: 50,
} as const;

// ttl_ms is an int4 column.
const MAX_STORABLE_TTL_MS = 2 ** 31 - 1;

export function createPostgresTaskStore(database: Database, scope: { grantName: string }, options: TaskStoreOptions = {}): PostgresTaskStore {
  const { db } = database;
  const { grantName } = scope;
  const settings = { ...TASK_DEFAULTS, ...options };
  const ownedLive = (taskId: string) => and(eq(mcpTasks.id, taskId), eq(mcpTasks.grantName, grantName), isLive);

  async function findRow(taskId: string): Promise<McpTaskRow | null> {
    const [row] = await db.select().from(mcpTasks).where(ownedLive(taskId));
    return row ?? null;
  }

  /** Runs a conditional update of an open task; when it changes nothing, says why. */
  async function updateOpenTask(taskId: string, set: Partial<typeof mcpTasks.$inferInsert>, attempted: string): Promise<McpTaskRow> {
    const [row] = await db
      .update(mcpTasks)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(ownedLive(taskId), isOpen))
      .returning();
    if (row) return row;
    const current = await findRow(taskId);
    if (!current) throw taskNotFound(taskId);
    throw new TaskProtocolError(
      ErrorCode.InvalidParams,
      `Cannot ${attempted} task ${taskId}: it is already ${current.status}, and completed, failed and cancelled are final.`,
    );
  }

  return {
    grantName,

    async createTask(taskParams: CreateTaskOptions, requestId: RequestId, request: Request, sessionId?: string): Promise<Task> {
      const context = readContext(taskParams.context);
      const [row] = await db
        .insert(mcpTasks)
        .values({
          id: randomUUID(),
          grantName,
          approvalId: context.approvalId ?? null,
          status: "working",
          statusMessage: context.statusMessage ?? null,
          ttlMs: effectiveTtl(taskParams.ttl, context.minTtlMs, settings),
          pollIntervalMs: taskParams.pollInterval ?? settings.pollIntervalMs,
          // Arguments are deliberately not copied here: the approval row holds them, bound to their hash.
          request: { method: request.method, tool: toolName(request), requestId, sessionId: sessionId ?? null },
        })
        .returning();
      return toTask(row!);
    },

    async getTask(taskId) {
      const row = await findRow(taskId);
      return row ? toTask(row) : null;
    },

    async storeTaskResult(taskId, status, result) {
      await updateOpenTask(taskId, { status, result: toStorableJson(result) as Result }, `store a ${status} result for`);
    },

    async getTaskResult(taskId) {
      const row = await findRow(taskId);
      if (!row) throw taskNotFound(taskId);
      // Every result is stored through toStorableJson (NUL and lone surrogates escaped); read it back.
      if (row.result) return fromStorableJson(row.result) as Result;
      const reason = row.statusMessage ? ` (${row.statusMessage})` : "";
      if (isOpenStatus(row.status)) {
        throw new TaskProtocolError(ErrorCode.InvalidRequest, `Task ${taskId} is still ${row.status}${reason}; its result is available once it completes.`);
      }
      throw new TaskProtocolError(ErrorCode.InvalidRequest, `Task ${taskId} ended as ${row.status} without a result${reason}.`);
    },

    async updateTaskStatus(taskId, status: TaskStatus, statusMessage?: string) {
      await updateOpenTask(taskId, { status, ...(statusMessage !== undefined && { statusMessage }) }, `move to ${status}`);
    },

    async listTasks(cursor) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const rows = await db
        .select({ row: mcpTasks, createdMicros: sql<string>`(extract(epoch from ${mcpTasks.createdAt}) * 1000000)::bigint::text` })
        .from(mcpTasks)
        .where(
          and(
            eq(mcpTasks.grantName, grantName),
            isLive,
            after &&
              sql`(${mcpTasks.createdAt}, ${mcpTasks.id}) < ('epoch'::timestamptz + ${after.createdMicros}::bigint * interval '1 microsecond', ${after.taskId})`,
          ),
        )
        .orderBy(desc(mcpTasks.createdAt), desc(mcpTasks.id))
        .limit(settings.pageSize + 1);
      const page = rows.slice(0, settings.pageSize);
      const last = page.at(-1);
      const hasMore = rows.length > settings.pageSize && last !== undefined;
      return {
        tasks: page.map(({ row }) => toTask(row)),
        ...(hasMore && { nextCursor: encodeCursor({ createdMicros: last.createdMicros, taskId: last.row.id }) }),
      };
    },

    async findTask(taskId) {
      const row = await findRow(taskId);
      return row ? toGatewayTask(row) : null;
    },

    async cancelTask(taskId, statusMessage, result) {
      const [row] = await db
        .update(mcpTasks)
        .set({ status: "cancelled", statusMessage, result: result === undefined ? null : (toStorableJson(result) as Result), updatedAt: sql`now()` })
        .where(and(ownedLive(taskId), isOpen))
        .returning();
      if (row) return { kind: "cancelled", task: toGatewayTask(row) };
      const current = await findRow(taskId);
      return current ? { kind: "already_final", task: toGatewayTask(current) } : { kind: "not_found" };
    },
  };
}

/** Client-requested ttl bounded by the store's limits, then raised to what the hold needs. */
export function effectiveTtl(
  requested: number | null | undefined,
  minTtlMs: number | undefined,
  limits: { defaultTtlMs: number; maxTtlMs: number },
): number {
  const asked = requested === null ? limits.maxTtlMs : requested !== undefined && Number.isFinite(requested) && requested > 0 ? requested : limits.defaultTtlMs;
  const ttl = Math.max(Math.min(asked, limits.maxTtlMs), minTtlMs ?? 0);
  return Math.min(Math.ceil(ttl), MAX_STORABLE_TTL_MS);
}

function readContext(context: Record<string, unknown> | undefined): TaskCreationContext {
  if (!context) return {};
  const { statusMessage, approvalId, minTtlMs } = context;
  return {
    ...(typeof statusMessage === "string" && { statusMessage }),
    ...(typeof approvalId === "string" && { approvalId }),
    ...(typeof minTtlMs === "number" && { minTtlMs }),
  };
}

function toolName(request: Request): string | null {
  const name = request.params?.name;
  return typeof name === "string" ? name : null;
}

function isOpenStatus(status: string): boolean {
  return status === "working" || status === "input_required";
}

interface Cursor {
  createdMicros: string;
  taskId: string;
}

// Opaque to clients. Microseconds, not a JS Date: Postgres keeps created_at to the microsecond and a
// millisecond cursor would skip or repeat tasks created within the same millisecond.
function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdMicros}.${cursor.taskId}`).toString("base64url");
}

function decodeCursor(cursor: string): Cursor {
  const match = /^(\d{1,19})\.(.+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match?.[1] || !match[2]) throw new TaskProtocolError(ErrorCode.InvalidParams, `Invalid cursor: ${cursor}`);
  return { createdMicros: match[1], taskId: match[2] };
}

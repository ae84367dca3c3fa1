// Wiring MCP tasks (protocol 2025-11-25) into the low-level SDK Server. The SDK answers tasks/get,
// tasks/result and tasks/list from the `taskStore` option on its own; Gatehouse adds the CreateTaskResult
// for task-augmented tools/call, and replaces tasks/cancel so that cancelling a task cancels its approval
// (the SDK's own handler only flips the status in the store).
import type { TaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import { isTerminal } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import type { Server, ServerOptions } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CancelTaskRequestSchema,
  ErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type CreateTaskResult,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  type Task,
} from "@modelcontextprotocol/sdk/types.js";
import { toWireMessage } from "../errors.ts";
import { TaskProtocolError, taskNotFound } from "./errors.ts";
import type { GatewayTask } from "./rows.ts";
import type { PostgresTaskStore, TaskCreationContext } from "./store.ts";

/** The 2025-11-25 server capability: task-augmented tools/call, plus tasks/list and tasks/cancel. */
export const TASK_CAPABILITIES = {
  list: {},
  cancel: {},
  requests: { tools: { call: {} } },
} satisfies NonNullable<ServerCapabilities["tasks"]>;

/** Spec (provisional): text a host may hand the model at once while the task runs. */
export const MODEL_IMMEDIATE_RESPONSE_META_KEY = "io.modelcontextprotocol/model-immediate-response";

export const DEFAULT_CANCEL_MESSAGE = "Cancelled by the client.";
/** The status message (and result text) of a held call's task cancelled by tasks/cancel before it ran. */
export const HELD_TASK_CANCELLED = "Cancelled by the client; the call was not executed.";

type TaskServerOptions = Required<Pick<ServerOptions, "taskStore" | "defaultTaskPollInterval">> & {
  capabilities: { tasks: typeof TASK_CAPABILITIES };
};

/** Merge into the Server constructor options; `capabilities.tasks` goes next to `capabilities.tools`. */
export function taskServerOptions(store: TaskStore, options: { pollIntervalMs?: number } = {}): TaskServerOptions {
  return {
    capabilities: { tasks: TASK_CAPABILITIES },
    taskStore: store,
    // Used by the SDK's blocking tasks/result loop when a task carries no pollInterval.
    defaultTaskPollInterval: options.pollIntervalMs ?? 1_000,
  };
}

/** True when the client asked for a task. The SDK then rejects anything but a CreateTaskResult. */
export function isTaskRequested(request: CallToolRequest): boolean {
  return request.params.task !== undefined;
}

export interface CallTaskOptions extends TaskCreationContext {
  statusMessage: string;
  /** Text for hosts that return control to the model while the task runs; defaults to a sentence naming the task. */
  immediateResponse?: string;
}

type CallExtra = Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, "requestId" | "sessionId">;

/** Creates the `working` task for a task-augmented tools/call; return the result from the handler as is. */
export async function createTaskForCall(store: TaskStore, request: CallToolRequest, extra: CallExtra, options: CallTaskOptions): Promise<CreateTaskResult> {
  const { immediateResponse, ...context } = options;
  const task = await store.createTask(
    { ttl: request.params.task?.ttl, context: { ...context } },
    extra.requestId,
    { method: request.method, params: request.params },
    extra.sessionId,
  );
  const text = immediateResponse ?? `${options.statusMessage}. Task ${task.taskId} will hold the result of ${request.params.name}.`;
  return { task, _meta: { [MODEL_IMMEDIATE_RESPONSE_META_KEY]: text } };
}

/**
 * For a task-augmented call that is answered without a hold (allowed, denied, rate-limited): the client
 * asked for a task, so it gets one, already ended with `result` (spec: isError → failed).
 */
export async function createFinishedTask(store: TaskStore, request: CallToolRequest, extra: CallExtra, result: CallToolResult, statusMessage: string): Promise<CreateTaskResult> {
  const created = await createTaskForCall(store, request, extra, { statusMessage, immediateResponse: statusMessage });
  await store.storeTaskResult(created.task.taskId, taskStatusFor(result), result, extra.sessionId);
  return created;
}

export function taskStatusFor(result: CallToolResult): "completed" | "failed" {
  return result.isError ? "failed" : "completed";
}

/** What the cancel hook reports; `statusMessage` becomes the cancelled task's message and result text. */
export interface TaskCancellation {
  statusMessage?: string;
}

/**
 * Called on tasks/cancel for an open task, before the task is marked cancelled. Cancel the approval here
 * (pending → cancelled). Throwing leaves the task open and answers the client with an error, so a task
 * is never shown cancelled while its approval can still be executed.
 */
export type TaskCancelHook = (task: GatewayTask) => Promise<TaskCancellation | void>;

export function installTaskCancellation(server: Server, store: PostgresTaskStore, onTaskCancelled: TaskCancelHook): void {
  server.setRequestHandler(CancelTaskRequestSchema, async (request) => {
    const { taskId } = request.params;
    const task = await store.findTask(taskId);
    if (!task) throw taskNotFound(taskId);
    if (isTerminal(task.status)) throw alreadyFinal(task);
    const statusMessage = (await cancelThroughHook(onTaskCancelled, task))?.statusMessage ?? DEFAULT_CANCEL_MESSAGE;
    const outcome = await store.cancelTask(taskId, statusMessage, cancelledResult(statusMessage));
    if (outcome.kind === "not_found") throw taskNotFound(taskId);
    if (outcome.kind === "already_final") {
      // The approval's task sync marked it cancelled first, for this very cancel: done as asked.
      if (outcome.task.status === "cancelled") return protocolTask(outcome.task);
      // The approval finished between the lookup and the update: its outcome stands.
      throw alreadyFinal(outcome.task);
    }
    return protocolTask(outcome.task);
  });
}

async function cancelThroughHook(onTaskCancelled: TaskCancelHook, task: GatewayTask): Promise<TaskCancellation | void> {
  try {
    return await onTaskCancelled(task);
  } catch (error) {
    const { message } = toWireMessage(error);
    throw new TaskProtocolError(ErrorCode.InternalError, `Could not cancel task ${task.taskId}: ${message}. It is still ${task.status}; try again.`);
  }
}

function alreadyFinal(task: Task): TaskProtocolError {
  return new TaskProtocolError(ErrorCode.InvalidParams, `Cannot cancel task ${task.taskId}: it is already ${task.status}.`);
}

/** What a task cancelled by tasks/cancel holds as its result. */
export function cancelledResult(statusMessage: string): CallToolResult {
  return { content: [{ type: "text", text: statusMessage }], isError: true };
}

function protocolTask(task: GatewayTask): Task {
  const { grantName: _grant, approvalId: _approval, ...rest } = task;
  return rest;
}

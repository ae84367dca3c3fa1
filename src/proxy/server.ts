// The MCP server an agent talks to: one instance per client session, bound to that session's grant.
// Held calls can be answered as MCP tasks (durable in Postgres) when the client asks for one. Here the
// session's events become what the gateway understands: an explicit cancel (the agent no longer wants
// the call) versus a detach (nobody is there to take the answer: the connection dropped, the client's
// own request timeout fired, the gateway is stopping).
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CreateTaskResult } from "@modelcontextprotocol/sdk/experimental/tasks/types.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type Progress,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { toWireMessage } from "../errors.ts";
import type { Logger } from "../log/index.ts";
import {
  createFinishedTask,
  createTaskForCall,
  installTaskCancellation,
  isTaskRequested,
  taskServerOptions,
  type PostgresTaskStore,
  type TaskCancelHook,
} from "../tasks/index.ts";
import type { CallerContext, Gateway } from "./gateway.ts";

export const GATEWAY_INFO = { name: "gatehouse", version: "0.1.0" };
export const GATEWAY_INSTRUCTIONS = "Tool calls pass through Gatehouse: some may be denied, rate-limited or held for human approval.";
/** The status message of the task a client that asked for one gets for a call answered at once. */
export const ANSWERED_WITHOUT_HOLD = "answered without a hold";
/** Tasks must outlive their hold by this much, so the result can still be fetched. */
const TASK_RESULT_GRACE_MS = 60 * 60_000;

export interface TaskSupport {
  store: PostgresTaskStore;
  onTaskCancelled: TaskCancelHook;
}

/** Why a session is closing: the agent ended it (DELETE, stdin closed), or the gateway is stopping or reaping it. */
export type SessionEnd = "ended" | "stopping";

/** What the transport layer tells the downstream server about one client session. */
export interface DownstreamSession {
  grant: CallerContext["grant"];
  sessionId(): string;
  /** Set once the session is closing; decides whether requests cut short by it are cancelled or detached. */
  endReason(): SessionEnd | null;
  /** Aborted when the connection carrying this request's answer is gone before the answer was sent. */
  connectionLost?(requestId: RequestId): AbortSignal | undefined;
}

/** What the tools/call handler reads of the SDK's per-request extra (mcp-direct.ts builds the same). */
export type ToolCallExtra = Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, "signal" | "requestId" | "sessionId" | "sendNotification">;
export type ToolCallHandler = (request: CallToolRequest, extra: ToolCallExtra) => Promise<CallToolResult | CreateTaskResult>;

const toolCallHandlers = new WeakMap<Server, ToolCallHandler>();

/** A session server's tools/call handler, to answer a plain call without the SDK's Protocol (mcp-direct.ts). */
export function toolCallHandlerOf(server: Server): ToolCallHandler | undefined {
  return toolCallHandlers.get(server);
}

export function createDownstreamServer(gateway: Gateway, session: DownstreamSession, options: { tasks?: TaskSupport; logger?: Logger } = {}): Server {
  const { tasks, logger } = options;
  const taskOptions = tasks ? taskServerOptions(tasks.store) : undefined;
  const offered = gateway.relay.capabilities();
  const server = new Server(GATEWAY_INFO, {
    ...taskOptions,
    capabilities: { tools: { listChanged: true }, ...offered, ...taskOptions?.capabilities },
    instructions: GATEWAY_INSTRUCTIONS,
  });
  const context = (): CallerContext => {
    const client = server.getClientVersion();
    return { grant: session.grant, sessionId: session.sessionId(), client: client ? { name: client.name, version: client.version } : null };
  };
  const link = gateway.relay.attach(server, offered, context);
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools = await gateway.listTools(context());
    // Any call may be held for review, so every tool can run as a task.
    return { tools: tasks ? tools.map((t) => ({ ...t, execution: { ...t.execution, taskSupport: "optional" as const } })) : tools };
  });
  const answerToolCall: ToolCallHandler = async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    const wantsTask = tasks !== undefined && isTaskRequested(request);
    const ending = classifyEnding(extra.signal, session, session.connectionLost?.(extra.requestId));
    // Progress is relayed as it arrives; the result waits for the relays so the last progress
    // notification is not overtaken by the response (clients drop progress after the result).
    const relay = progressToken === undefined ? null : createProgressRelay((progress) => extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken } }));
    try {
      const result = await gateway.callTool(context(), request.params.name, request.params.arguments ?? {}, {
        signal: ending.cancelled,
        detached: ending.detached,
        onprogress: relay?.send,
        origin: link.origin(extra.requestId),
        createTask:
          wantsTask && tasks
            ? (approval) =>
                createTaskForCall(tasks.store, request, extra, {
                  statusMessage: `awaiting approval${approval.spec.channel ? ` in ${approval.spec.channel}` : ""}`,
                  approvalId: approval.id,
                  minTtlMs: approval.expiresAt.getTime() - Date.now() + TASK_RESULT_GRACE_MS,
                })
            : undefined,
      });
      await relay?.flush();
      // A client that asked for a task gets one even when the call was answered at once.
      const exposed = "task" in result ? result : exposeResourceLinks(result, request.params.name);
      if (wantsTask && tasks && !("task" in exposed)) return createFinishedTask(tasks.store, request, extra, exposed, ANSWERED_WITHOUT_HOLD);
      return exposed;
    } catch (error) {
      if (error instanceof McpError) throw error;
      // One mapper to the wire: an agent never sees SQL, stack traces or internal messages.
      logger?.error({ err: (error as Error).message, tool: request.params.name }, "tool call failed inside the gateway");
      throw new McpError(ErrorCode.InternalError, `Gatehouse could not complete this call: ${toWireMessage(error).message}.`);
    } finally {
      ending.dispose();
    }
  };
  server.setRequestHandler(CallToolRequestSchema, answerToolCall);
  toolCallHandlers.set(server, answerToolCall);
  if (tasks) installTaskCancellation(server, tasks.store, tasks.onTaskCancelled);
  return server;

  /** Resource links and embedded resources in a tool result, with the URIs this client can read. */
  function exposeResourceLinks(result: CallToolResult, exposedTool: string): CallToolResult {
    return { ...result, content: link.exposeToolContent(exposedTool, result.content) as CallToolResult["content"] };
  }
}

/**
 * The SDK aborts a request's signal for a client's notifications/cancelled and when the session closes.
 * A cancel whose reason says the client timed out is the client giving up, not a decision (the SDK's
 * own timeout sends one), so it only detaches; so does a session closed by the gateway itself.
 */
function classifyEnding(signal: AbortSignal, session: DownstreamSession, connectionLost: AbortSignal | undefined) {
  const cancelled = new AbortController();
  const detached = new AbortController();
  const onAbort = () => {
    const end = session.endReason();
    if (end === "stopping" || (end === null && isTimeoutReason(signal.reason))) detached.abort(signal.reason);
    else cancelled.abort(signal.reason);
  };
  const onLost = () => detached.abort("connection lost");
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  if (connectionLost?.aborted) onLost();
  else connectionLost?.addEventListener("abort", onLost, { once: true });
  return {
    cancelled: cancelled.signal,
    detached: detached.signal,
    dispose() {
      signal.removeEventListener("abort", onAbort);
      connectionLost?.removeEventListener("abort", onLost);
    },
  };
}

function isTimeoutReason(reason: unknown): boolean {
  const text = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "";
  return /time[sd]?\s*out|timeout/i.test(text);
}

/**
 * Progress sent to a client must increase every time (spec). Heartbeats count up from 1; an upstream's
 * own progress relayed after them is shifted above what was already sent.
 */
function createProgressRelay(send: (progress: Progress) => Promise<void>) {
  // Only sends not finished yet: a call held for an hour gets 360 heartbeats, and keeping a settled
  // promise for each grew every held call by ~15 KB an hour.
  const pending = new Set<Promise<void>>();
  let last = Number.NEGATIVE_INFINITY;
  let offset = 0;
  return {
    send(progress: Progress) {
      let value = progress.progress + offset;
      if (value <= last) {
        offset += last - value + 1;
        value = last + 1;
      }
      last = value;
      const total = progress.total === undefined ? undefined : progress.total + offset;
      const sending = send({ ...progress, progress: value, ...(total !== undefined && { total }) }).catch(() => {});
      pending.add(sending);
      void sending.then(() => pending.delete(sending));
    },
    flush: () => Promise.all(pending).then(() => undefined),
  };
}

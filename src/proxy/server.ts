// The MCP server an agent talks to: one instance per client session, bound to that session's grant.
// Held calls can be answered as MCP tasks (durable in Postgres) when the client asks for one.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
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
/** Tasks must outlive their hold by this much, so the result can still be fetched. */
const TASK_RESULT_GRACE_MS = 60 * 60_000;

export interface TaskSupport {
  store: PostgresTaskStore;
  onTaskCancelled: TaskCancelHook;
}

export function createDownstreamServer(gateway: Gateway, context: () => CallerContext, tasks?: TaskSupport): Server {
  const taskOptions = tasks ? taskServerOptions(tasks.store) : undefined;
  const server = new Server(GATEWAY_INFO, {
    ...taskOptions,
    capabilities: { tools: { listChanged: true }, ...taskOptions?.capabilities },
    instructions: "Tool calls pass through Gatehouse: some may be denied, rate-limited or held for human approval.",
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools = await gateway.listTools(context());
    // Any call may be held for review, so every tool can run as a task.
    return { tools: tasks ? tools.map((t) => ({ ...t, execution: { ...t.execution, taskSupport: "optional" as const } })) : tools };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    const wantsTask = tasks !== undefined && isTaskRequested(request);
    // Progress is relayed as it arrives; the result waits for the relays so the last progress
    // notification is not overtaken by the response (clients drop progress after the result).
    const relays: Array<Promise<void>> = [];
    const result = await gateway.callTool(context(), request.params.name, request.params.arguments ?? {}, {
      signal: extra.signal,
      onprogress:
        progressToken === undefined
          ? undefined
          : (progress) => {
              relays.push(extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => {}));
            },
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
    await Promise.all(relays);
    // A client that asked for a task gets one even when the call was answered at once.
    if (wantsTask && tasks && !("task" in result)) return createFinishedTask(tasks.store, request, extra, result as CallToolResult, "answered without a hold");
    return result;
  });
  if (tasks) installTaskCancellation(server, tasks.store, tasks.onTaskCancelled);
  return server;
}

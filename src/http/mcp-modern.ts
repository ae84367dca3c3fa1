// MCP revision 2026-07-28 on /mcp, beside the sessions of 2025-11-25 and earlier. The new revision has no
// initialize and no session: every request carries its protocol version and client capabilities in
// `_meta`. The SDK's v2 handler does that revision's edge work (envelope and header checks, error codes,
// server/discover, result types, cache fields, subscriptions/listen); each request it accepts is then run
// on a session of its own of the same downstream server the 2025 sessions get, over an in-memory link
// (stateless-exchange.ts), so policy, holds, audit and the relay are the ones every client gets. Held
// calls become tasks of the tasks extension for clients that declare it (the 2025 task store underneath).
import { Readable } from "node:stream";
import type { ClientCapabilities as LegacyClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  createMcpHandler,
  isLegacyRequest,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  Server as ModernServer,
  type McpHttpHandler,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { Request, Response } from "express";
import { z } from "zod";
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import { ANSWERED_WITHOUT_HOLD, GATEWAY_INFO, GATEWAY_INSTRUCTIONS, type Gateway, type TaskSupport } from "../proxy/index.ts";
import { createExchanges, type ExchangeRequest, type Exchanges } from "./stateless-exchange.ts";

/** The tasks extension (SEP-2663): how a 2026-07-28 client asks for, and follows, a held call as a task. */
const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";
const RELATED_TASK_META_KEY = "io.modelcontextprotocol/related-task";

/** The methods a 2026-07-28 client may send that the gateway answers by running them on a session. */
const RELAYED = ["tools/list", "tools/call", "resources/list", "resources/templates/list", "resources/read", "prompts/list", "prompts/get", "completion/complete"] as const;
type RelayedMethod = (typeof RELAYED)[number];

export interface ModernEndpoint {
  /** True when this request is for 2026-07-28 (no session header and an envelope in `_meta`). */
  isModern(req: Request): Promise<boolean>;
  serve(grant: Grant, req: Request, res: Response): Promise<void>;
  /** Tells open `subscriptions/listen` streams that a list changed. */
  listChanged(kind: "tools" | "resources" | "prompts"): void;
  close(): Promise<void>;
}

export function createModernEndpoint(deps: { gateway: Gateway; logger: Logger; tasksFor?: (grant: Grant) => TaskSupport }): ModernEndpoint {
  const grants = new WeakMap<object, Grant>();
  const exchanges = createExchanges(deps.gateway);
  const handler: McpHttpHandler = createMcpHandler(
    (ctx) => {
      const grant = ctx.authInfo ? grants.get(ctx.authInfo) : undefined;
      if (!grant) throw new Error("a 2026-07-28 request reached the gateway without a grant");
      return createModernServer(deps.gateway, exchanges, grant, ctx.requestInfo, deps.tasksFor?.(grant));
    },
    { legacy: "reject", onerror: (error) => deps.logger.debug({ err: error.message }, "2026-07-28 request refused or failed") },
  );

  return {
    async isModern(req) {
      if (req.header("mcp-session-id") || req.method !== "POST") return false;
      return !(await isLegacyRequest(toWebRequest(req), req.body));
    },
    async serve(grant, req, res) {
      // The SDK passes authInfo through untouched; the grant rides on it by identity, never as text.
      const authInfo = { token: "", clientId: grant.id, scopes: [] as string[] };
      grants.set(authInfo, grant);
      const aborted = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) aborted.abort();
      });
      const response = await handler.fetch(toWebRequest(req, aborted.signal), { authInfo, parsedBody: req.body });
      await writeWebResponse(response, res);
    },
    listChanged(kind) {
      if (kind === "tools") handler.notify.toolsChanged();
      else if (kind === "resources") handler.notify.resourcesChanged();
      else handler.notify.promptsChanged();
    },
    close: async () => {
      await exchanges.close();
      await handler.close();
    },
  };
}

function createModernServer(gateway: Gateway, exchanges: Exchanges, grant: Grant, httpRequest: globalThis.Request | undefined, tasks: TaskSupport | undefined): ModernServer {
  const offered = gateway.relay.capabilities();
  const capabilities = {
    tools: { listChanged: true },
    ...(offered.resources && { resources: { listChanged: offered.resources.listChanged } }),
    ...(offered.prompts && { prompts: offered.prompts }),
    ...(offered.completions && { completions: {} }),
    ...(tasks && { extensions: { [TASKS_EXTENSION]: {} } }),
  };
  const server = new ModernServer(GATEWAY_INFO, { capabilities: capabilities as never, instructions: GATEWAY_INSTRUCTIONS });
  const run = (method: string, params: Record<string, unknown>, ctx: ServerContext, withTasks: boolean) => {
    const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
    const level = envelope[LOG_LEVEL_META_KEY];
    const request: ExchangeRequest = {
      grant,
      method,
      params,
      clientInfo: clientName(envelope[CLIENT_INFO_META_KEY]),
      clientCapabilities: sessionCapabilities(envelope[CLIENT_CAPABILITIES_META_KEY]),
      ...(typeof level === "string" && { logLevel: level }),
      ...(withTasks && tasks && { tasks }),
    };
    return exchanges.round(request, ctx, httpRequest?.signal);
  };
  for (const method of RELAYED) {
    if (!isOffered(method, capabilities)) continue;
    server.setRequestHandler(method, async (request: { params?: Record<string, unknown> }, ctx: ServerContext) => {
      if (method !== "tools/call") return (await run(method, request.params ?? {}, ctx, false)) as never;
      // The server decides (tasks extension): a call that is held becomes a task for a client that declared it.
      // A `task` parameter of the 2025 revision decides nothing here.
      const { task: _hint, ...params } = request.params ?? {};
      const withTask = tasks !== undefined && declaresTasks(ctx);
      const answer = (await run(method, withTask ? { ...params, task: {} } : params, ctx, withTask)) as Record<string, unknown>;
      if (!isRecord(answer.task)) return answer as never;
      // Answered at once (not held): the plain result, as the extension allows.
      if (answer.task.statusMessage === ANSWERED_WITHOUT_HOLD) return withoutRelatedTask((await run("tasks/result", { taskId: answer.task.taskId }, ctx, true)) as Record<string, unknown>) as never;
      return { resultType: "task", ...modernTask(answer.task) } as never;
    });
  }
  if (tasks) installTaskMethods(server, (method, params, ctx) => run(method, params, ctx, true));
  return server;
}

/**
 * tasks/get, tasks/update and tasks/cancel of the tasks extension, on the task store 2025 clients use
 * (scoped by grant, so any request of the grant finds its tasks). tasks/get inlines the outcome: a call
 * that was answered (also with a refusal or an upstream's error result) is `completed` with its result;
 * `failed` carries a protocol error.
 */
function installTaskMethods(server: ModernServer, run: (method: string, params: Record<string, unknown>, ctx: ServerContext) => Promise<unknown>): void {
  const schemas = { params: z.looseObject({ taskId: z.string() }), result: z.looseObject({}) };
  const requireExtension = (ctx: ServerContext) => {
    if (declaresTasks(ctx)) return;
    throw new ProtocolError(-32021, `This request needs the ${TASKS_EXTENSION} extension in its client capabilities.`, { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } });
  };
  const taskOf = async (taskId: string, ctx: ServerContext) => (await run("tasks/get", { taskId }, ctx)) as Record<string, unknown>;
  server.setRequestHandler("tasks/get", schemas as never, (async (params: { taskId: string }, ctx: ServerContext) => {
    requireExtension(ctx);
    const task = await taskOf(params.taskId, ctx);
    const detailed: Record<string, unknown> = modernTask(task);
    if (task.status === "completed" || task.status === "failed") {
      try {
        detailed.result = withoutRelatedTask((await run("tasks/result", { taskId: params.taskId }, ctx)) as Record<string, unknown>);
        detailed.status = "completed";
      } catch (error) {
        const { code, message } = error as { code?: number; message?: string };
        detailed.status = "failed";
        detailed.error = { code: typeof code === "number" ? code : -32603, message: message ?? "the call failed" };
      }
    }
    return detailed;
  }) as never);
  server.setRequestHandler("tasks/cancel", schemas as never, (async (params: { taskId: string }, ctx: ServerContext) => {
    requireExtension(ctx);
    const task = await taskOf(params.taskId, ctx);
    // Cancelling a finished task changes nothing and is not an error.
    if (task.status === "working" || task.status === "input_required") await run("tasks/cancel", { taskId: params.taskId }, ctx);
    return {};
  }) as never);
  server.setRequestHandler("tasks/update", schemas as never, (async (params: { taskId: string }, ctx: ServerContext) => {
    requireExtension(ctx);
    // A held call never waits for input from its agent: there is nothing to update, only the task to check.
    await taskOf(params.taskId, ctx);
    return {};
  }) as never);
}

/** A task of the 2025 store in the extension's words (`ttlMs`, `pollIntervalMs`). */
function modernTask(task: Record<string, unknown>): Record<string, unknown> {
  const { ttl, pollInterval, _meta: _dropped, ...rest } = task;
  return { ...rest, ...(typeof ttl === "number" && { ttlMs: Math.round(ttl) }), ...(typeof pollInterval === "number" && { pollIntervalMs: Math.round(pollInterval) }) };
}

function withoutRelatedTask(result: Record<string, unknown>): Record<string, unknown> {
  const meta = isRecord(result._meta) ? Object.entries(result._meta).filter(([key]) => key !== RELATED_TASK_META_KEY) : [];
  const { _meta: _old, ...rest } = result;
  return meta.length > 0 ? { ...rest, _meta: Object.fromEntries(meta) } : rest;
}

function declaresTasks(ctx: ServerContext): boolean {
  const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  const extensions = isRecord(declared) ? declared.extensions : undefined;
  return isRecord(extensions) && TASKS_EXTENSION in extensions;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOffered(method: RelayedMethod, capabilities: Record<string, unknown>): boolean {
  if (method.startsWith("resources/")) return "resources" in capabilities;
  if (method.startsWith("prompts/")) return "prompts" in capabilities;
  if (method === "completion/complete") return "completions" in capabilities;
  return true;
}

/** The capabilities the client declared, minus tasks (offered to 2025-11-25 sessions only). */
function sessionCapabilities(declared: unknown): LegacyClientCapabilities {
  const capabilities = declared && typeof declared === "object" ? { ...(declared as Record<string, unknown>) } : {};
  delete capabilities.tasks;
  return capabilities as LegacyClientCapabilities;
}

/** The web-standard request the SDK's handler reads; the body was parsed by express already. */
function toWebRequest(req: Request, signal?: AbortSignal): globalThis.Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return new globalThis.Request(`http://${req.headers.host ?? "localhost"}${req.originalUrl}`, { method: req.method, headers, signal });
}

async function writeWebResponse(response: globalThis.Response, res: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const body = Readable.fromWeb(response.body as never);
  res.on("close", () => body.destroy());
  await new Promise<void>((resolve) => {
    body.on("error", () => resolve());
    body.on("end", () => resolve());
    body.pipe(res);
  });
}

function clientName(info: unknown): { name: string; version: string } {
  const { name, version } = (info && typeof info === "object" ? info : {}) as { name?: unknown; version?: unknown };
  return { name: typeof name === "string" ? name : "unnamed 2026-07-28 client", version: typeof version === "string" ? version : "0" };
}

// MCP revision 2026-07-28 on /mcp, beside the sessions of 2025-11-25 and earlier. The new revision has no
// initialize and no session: every request carries its protocol version and client capabilities in
// `_meta`. The SDK's v2 handler does that revision's edge work (envelope and header checks, error codes,
// server/discover, result types, cache fields, subscriptions/listen); each request it accepts is then run
// on a one-request session of the same downstream server the 2025 sessions get, over an in-memory link,
// so policy, holds, audit and the relay of resources and prompts are the ones every client gets.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  LoggingMessageNotificationSchema,
  McpError,
  ResultSchema,
  type ClientCapabilities as LegacyClientCapabilities,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
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
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import { createDownstreamServer, GATEWAY_INFO, GATEWAY_INSTRUCTIONS, type Gateway } from "../proxy/index.ts";

/** A held call may wait for days; the in-memory client must not give up on it first. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

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

export function createModernEndpoint(deps: { gateway: Gateway; logger: Logger }): ModernEndpoint {
  const grants = new WeakMap<object, Grant>();
  const handler: McpHttpHandler = createMcpHandler(
    (ctx) => {
      const grant = ctx.authInfo ? grants.get(ctx.authInfo) : undefined;
      if (!grant) throw new Error("a 2026-07-28 request reached the gateway without a grant");
      return createModernServer(deps.gateway, grant, ctx.requestInfo);
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
    close: () => handler.close(),
  };
}

function createModernServer(gateway: Gateway, grant: Grant, httpRequest: globalThis.Request | undefined): ModernServer {
  const offered = gateway.relay.capabilities();
  const capabilities = {
    tools: { listChanged: true },
    ...(offered.resources && { resources: { listChanged: offered.resources.listChanged } }),
    ...(offered.prompts && { prompts: offered.prompts }),
    ...(offered.completions && { completions: {} }),
  };
  const server = new ModernServer(GATEWAY_INFO, { capabilities, instructions: GATEWAY_INSTRUCTIONS });
  for (const method of RELAYED) {
    if (!isOffered(method, capabilities)) continue;
    server.setRequestHandler(method, async (request: { params?: Record<string, unknown> }, ctx: ServerContext) => {
      const result = await runOnSession(gateway, grant, method, request.params ?? {}, ctx, httpRequest?.signal);
      return result as never;
    });
  }
  return server;
}

function isOffered(method: RelayedMethod, capabilities: Record<string, unknown>): boolean {
  if (method.startsWith("resources/")) return "resources" in capabilities;
  if (method.startsWith("prompts/")) return "prompts" in capabilities;
  if (method === "completion/complete") return "completions" in capabilities;
  return true;
}

/**
 * Runs one request on a session of its own: the downstream server every client gets, bound to this
 * grant, with the client's declared capabilities and name. A connection that closes before the answer
 * detaches the call (nobody is there to take it), as it does for a 2025 client.
 */
async function runOnSession(
  gateway: Gateway,
  grant: Grant,
  method: RelayedMethod,
  params: Record<string, unknown>,
  ctx: ServerContext,
  connection: AbortSignal | undefined,
): Promise<unknown> {
  const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
  const sessionId = `stateless-${randomUUID()}`;
  const lost = new AbortController();
  const onLost = () => lost.abort("connection lost");
  const signals = [connection, ctx.mcpReq.signal].filter((s): s is AbortSignal => s !== undefined);
  for (const signal of signals) {
    if (signal.aborted) onLost();
    else signal.addEventListener("abort", onLost, { once: true });
  }
  let ending = false;
  const server = createDownstreamServer(gateway, {
    grant,
    sessionId: () => sessionId,
    endReason: () => (ending ? "stopping" : null),
    connectionLost: () => lost.signal,
  });
  const client = new Client(clientName(envelope[CLIENT_INFO_META_KEY]), { capabilities: sessionCapabilities(envelope[CLIENT_CAPABILITIES_META_KEY]) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  try {
    await server.connect(serverSide);
    await client.connect(clientSide);
    // Log messages only for a request that asks for them, at the level it names.
    const level = envelope[LOG_LEVEL_META_KEY];
    if (typeof level === "string" && gateway.relay.capabilities().logging) {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => ctx.mcpReq.notify(notification).catch(() => {}));
      await client.setLoggingLevel(level as "info");
    }
    const progressToken = ctx.mcpReq._meta?.progressToken;
    const forwardProgress =
      progressToken === undefined
        ? undefined
        : (progress: Progress) => void ctx.mcpReq.notify({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => {});
    return await client.request({ method, params: withoutEnvelope(params) } as never, ResultSchema, {
      timeout: NO_TIMEOUT_MS,
      onprogress: forwardProgress,
      resetTimeoutOnProgress: true,
    });
  } catch (error) {
    if (error instanceof McpError) throw new ProtocolError(error.code, error.message.replace(/^MCP error -?\d+: /, ""), error.data);
    throw error;
  } finally {
    for (const signal of signals) signal.removeEventListener("abort", onLost);
    ending = true;
    await client.close().catch(() => {});
    await server.close().catch(() => {});
  }
}

/**
 * What the one-request session tells the gateway the client can do. Requests an upstream sends back
 * (sampling, elicitation, roots) have no way to reach a 2026-07-28 client over this path, so they are not
 * declared: the relay refuses them to the upstream instead of waiting on a client that cannot answer.
 */
function sessionCapabilities(declared: unknown): LegacyClientCapabilities {
  const capabilities = declared && typeof declared === "object" ? { ...(declared as Record<string, unknown>) } : {};
  delete capabilities.sampling;
  delete capabilities.elicitation;
  delete capabilities.roots;
  delete capabilities.tasks;
  return capabilities as LegacyClientCapabilities;
}

function withoutEnvelope(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  if (!meta || typeof meta !== "object") return params;
  const kept = Object.fromEntries(Object.entries(meta).filter(([key]) => !key.startsWith("io.modelcontextprotocol/")));
  const { _meta: _dropped, ...rest } = params;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
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

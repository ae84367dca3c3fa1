// MCP revision 2026-07-28 on /mcp, beside the sessions of 2025-11-25 and earlier. The new revision has no
// initialize and no session: every request carries its protocol version and client capabilities in
// `_meta`. The SDK's v2 handler does that revision's edge work (envelope and header checks, error codes,
// server/discover, result types, cache fields, subscriptions/listen); each request it accepts is then run
// on a session of its own of the same downstream server the 2025 sessions get, over an in-memory link
// (stateless-exchange.ts), so policy, holds, audit and the relay are the ones every client gets.
import { Readable } from "node:stream";
import type { ClientCapabilities as LegacyClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  createMcpHandler,
  isLegacyRequest,
  LOG_LEVEL_META_KEY,
  Server as ModernServer,
  type McpHttpHandler,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { Request, Response } from "express";
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import { GATEWAY_INFO, GATEWAY_INSTRUCTIONS, type Gateway } from "../proxy/index.ts";
import { createExchanges, type Exchanges } from "./stateless-exchange.ts";

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
  const exchanges = createExchanges(deps.gateway);
  const handler: McpHttpHandler = createMcpHandler(
    (ctx) => {
      const grant = ctx.authInfo ? grants.get(ctx.authInfo) : undefined;
      if (!grant) throw new Error("a 2026-07-28 request reached the gateway without a grant");
      return createModernServer(deps.gateway, exchanges, grant, ctx.requestInfo);
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

function createModernServer(gateway: Gateway, exchanges: Exchanges, grant: Grant, httpRequest: globalThis.Request | undefined): ModernServer {
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
      const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
      const level = envelope[LOG_LEVEL_META_KEY];
      const answer = await exchanges.round(
        {
          grant,
          method,
          params: request.params ?? {},
          clientInfo: clientName(envelope[CLIENT_INFO_META_KEY]),
          clientCapabilities: sessionCapabilities(envelope[CLIENT_CAPABILITIES_META_KEY]),
          ...(typeof level === "string" && { logLevel: level }),
        },
        ctx,
        httpRequest?.signal,
      );
      return answer as never;
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

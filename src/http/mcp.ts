// /mcp: MCP Streamable HTTP. Each session gets its own transport + server, bound to the grant that
// initialised it; a request carrying another grant's token for that session is refused. Sessions are
// tracked by the registry (mcp-sessions.ts): idle ones are closed, and each grant holds a bounded number.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { Router, type Request, type Response } from "express";
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import { createDownstreamServer, toolCallHandlerOf, type Gateway, type SessionEnd, type TaskSupport } from "../proxy/index.ts";
import { jsonRpcError, MCP_PARSE_ERROR } from "./errors.ts";
import { refusalFor, type HostRules } from "./host-guard.ts";
import { serveDirectly, type DirectRequests } from "./mcp-direct.ts";
import { createModernEndpoint } from "./mcp-modern.ts";
import { createSessionRegistry, type McpSession, type SessionCloseReason, type SessionLimits, type TrackedSession } from "./mcp-sessions.ts";

interface SessionResources {
  transport: StreamableHTTPServerTransport;
  /** Plain requests of the open session, answered without the SDK transport's web-stream layer. */
  direct: DirectRequests;
  server: { close(): Promise<void> };
  /** Per JSON-RPC request id: aborted when the HTTP response that carries its answer closes first. */
  connections: Map<RequestId, AbortController>;
  close(): Promise<void>;
}

/** The client's DELETE ends the session (its held calls are cancelled); idle reaping and shutdown only detach them. */
const SESSION_END: Record<SessionCloseReason, SessionEnd> = { deleted: "ended", idle: "stopping", shutdown: "stopping" };

export interface McpRoute {
  router: Router;
  /**
   * Takes a POST to /mcp of an open session before express (no router, no body parser: about 5 % of a
   * call's CPU in the profile, docs/performance.md), when nothing about it needs them: JSON in UTF-8 with a length, within the body
   * limit, a Host and Origin the guard lets through. Anything it does not serve goes on to `express` with
   * the body read (express's body parser leaves a read body alone), which answers it as before. False:
   * express must take the request from the start.
   */
  serveBeforeExpress(req: IncomingMessage, res: ServerResponse, express: RequestListener): boolean;
  sessionCount(): number;
  sessions(): McpSession[];
  /** Called once per session that ends, with its `closeReason` set. Returns an unsubscribe function. */
  onSessionClosed(listener: (session: McpSession) => void): () => void;
  close(): Promise<void>;
}

export function createMcpRoute(deps: {
  gateway: Gateway;
  logger: Logger;
  tasksFor?: (grant: Grant) => TaskSupport;
  authenticate: (req: IncomingMessage) => Promise<Grant | null>;
  /** The 401 for a request without a valid grant token: its WWW-Authenticate challenge and message. */
  unauthorized: (req: Request) => { challenge: string; message: string };
  limits: SessionLimits;
  /** The guard express runs first: a request it would refuse is left to express. Absent: no check. */
  hostRules?: HostRules;
  maxBodyBytes: number;
}): McpRoute {
  const registry = createSessionRegistry<SessionResources>(deps.limits);
  const modern = createModernEndpoint({ gateway: deps.gateway, logger: deps.logger, tasksFor: deps.tasksFor });
  deps.gateway.relay.onListChanged((kind) => modern.listChanged(kind));
  const router = Router();
  // Responses with requests still owed to clients: shutdown lets them go out first (held calls answer at once when draining).
  const answering = new Set<ServerResponse>();
  let onQuiet: (() => void) | null = null;

  router.all("/", async (req: Request, res: Response) => {
    let grant: Grant | null;
    try {
      grant = await deps.authenticate(req);
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message }, "cannot check a grant token");
      res.status(503).set("Retry-After", "5").json(jsonRpcError(-32603, "Gatehouse cannot check grant tokens right now (its database is unavailable). Nothing was run; try again shortly."));
      return;
    }
    if (!grant) {
      const { challenge, message } = deps.unauthorized(req);
      res.status(401).set("WWW-Authenticate", challenge).json(jsonRpcError(-32001, message));
      return;
    }
    const sessionId = req.header("mcp-session-id");
    if (sessionId) {
      const session = registry.get(sessionId);
      if (!session) {
        res.status(404).json(jsonRpcError(-32001, `Session not found: ${sessionId}. Start a new session with an initialize request.`));
        return;
      }
      if (session.grantId !== grant.id) {
        res.status(403).json(jsonRpcError(-32001, "This session belongs to another grant."));
        return;
      }
      await serveInSession(session, req, res, req.body);
      return;
    }
    if (await modern.isModern(req)) {
      // A subscriptions/listen stream owes no answer: shutdown does not wait for it (closing ends it).
      if ((req.body as { method?: unknown } | undefined)?.method !== "subscriptions/listen") {
        answering.add(res);
        res.on("close", () => {
          answering.delete(res);
          if (answering.size === 0) onQuiet?.();
        });
      }
      await modern.serve(grant, req, res);
      return;
    }
    if (req.method !== "POST" || !isInitializeRequest(req.body)) {
      res
        .status(400)
        .json(
          jsonRpcError(
            -32000,
            "Bad Request: no mcp-session-id header; the first request of a session must be initialize (revision 2025-11-25), or every request must carry the 2026-07-28 envelope in _meta.",
          ),
        );
      return;
    }
    await openSession(grant, req, res);
  });

  async function serveInSession(session: TrackedSession<SessionResources>, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    session.trackResponse(res);
    watchConnection(session.resources, body, res);
    if (session.resources.direct.serve(req, res, body)) return;
    await session.resources.transport.handleRequest(req, res, body);
  }

  function serveBeforeExpress(req: IncomingMessage, res: ServerResponse, express: RequestListener): boolean {
    if (req.method !== "POST" || req.url !== "/mcp") return false;
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId !== "string" || !registry.get(sessionId)) return false;
    if (!isUtf8Json(req.headers["content-type"]) || req.headers["content-encoding"] !== undefined || req.headers["transfer-encoding"] !== undefined) return false;
    const length = Number(req.headers["content-length"]);
    if (!Number.isSafeInteger(length) || length > deps.maxBodyBytes) return false;
    if (deps.hostRules && refusalFor(deps.hostRules, req.headers.host, req.headers.origin, req.socket.localPort)) return false;
    void (async () => {
      const text = await readBody(req).catch(() => null);
      if (text === null) return; // the client went away before its body arrived: nobody to answer
      const body = parseStrictJson(text);
      if (body === NOT_JSON) {
        writeJson(res, 400, MCP_PARSE_ERROR);
        return;
      }
      const grant = await deps.authenticate(req).catch(() => undefined);
      const session = registry.get(sessionId);
      if (!grant || !session || session.grantId !== grant.id) {
        // Refusals (and a grant store that cannot answer) are express's to word, as for any request.
        (req as IncomingMessage & { body?: unknown }).body = body;
        express(req, res);
        return;
      }
      await serveInSession(session, req, res, body);
    })().catch((error: unknown) => {
      deps.logger.error({ err: (error as Error).message }, "mcp request failed before express");
      if (!res.headersSent) writeJson(res, 500, jsonRpcError(-32603, "Internal gateway error"));
      else res.destroy();
    });
    return true;
  }

  async function openSession(grant: Grant, req: Request, res: Response): Promise<void> {
    if (registry.countFor(grant.id) >= registry.limits.maxPerGrant) return refuseOverLimit(grant, req, res);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Runs inside handleRequest below, after `session` exists.
      onsessioninitialized: (id) => session?.setId(id),
    });
    const connections = new Map<RequestId, AbortController>();
    const server = createDownstreamServer(
      deps.gateway,
      {
        grant,
        sessionId: () => transport.sessionId ?? "unknown",
        endReason: () => (session?.closeReason ? SESSION_END[session.closeReason] : null),
        connectionLost: (requestId) => connections.get(requestId)?.signal,
      },
      { tasks: deps.tasksFor?.(grant), logger: deps.logger },
    );
    const direct = serveDirectly(transport, { toolCalls: toolCallHandlerOf(server) });
    const session = registry.open(grant, { transport, direct, server, connections, close: () => server.close() });
    if (!session) return refuseOverLimit(grant, req, res);
    // DELETE from the client closes the transport; our own close() gets here too, with its reason already set.
    // The reason is set first, then calls answered directly are aborted (the SDK aborts its own handlers next).
    transport.onclose = () => {
      void session.close("deleted");
      direct.abortCalls();
    };
    session.trackResponse(res);
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    if (!session.id) {
      await registry.discard(session);
      return;
    }
    deps.logger.debug({ grant: grant.name, session: session.id }, "mcp session opened");
  }

  function refuseOverLimit(grant: Grant, req: Request, res: Response): void {
    const { maxPerGrant, idleMs } = registry.limits;
    const message =
      `Too many open MCP sessions for grant "${grant.name}": the limit is ${maxPerGrant} (limits.maxSessionsPerGrant). ` +
      `End sessions you no longer use (HTTP DELETE /mcp with their mcp-session-id header), reuse an open one, ` +
      `or wait: a session with no request for ${Math.round(idleMs / 1000)} s is closed (limits.sessionIdleSeconds).`;
    deps.logger.warn({ grant: grant.name, limit: maxPerGrant }, "mcp session refused: grant at its session limit");
    res.status(429).json(jsonRpcError(-32000, message, (req.body as { id?: string | number }).id ?? null));
  }

  /**
   * A client that drops the HTTP connection of a pending request (timeout without a cancel, killed
   * process) leaves its call detached, not cancelled: the SDK keeps running the handler, so the
   * gateway learns it here.
   */
  function watchConnection(resources: SessionResources, body: unknown, res: ServerResponse): void {
    const ids = requestIds(body);
    if (ids.length === 0) return;
    const controller = new AbortController();
    for (const id of ids) resources.connections.set(id, controller);
    answering.add(res);
    res.on("close", () => {
      answering.delete(res);
      if (answering.size === 0) onQuiet?.();
      if (!res.writableFinished) controller.abort();
      for (const id of ids) if (resources.connections.get(id) === controller) resources.connections.delete(id);
    });
  }

  /** Resolves once every request in flight has been answered (or after `timeoutMs`). */
  async function whenAnswered(timeoutMs: number): Promise<void> {
    if (answering.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      onQuiet = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    onQuiet = null;
  }

  registry.onClosed((session) => deps.logger.debug({ grant: session.grantName, session: session.id, reason: session.closeReason }, "mcp session closed"));

  return {
    router,
    serveBeforeExpress,
    sessionCount: () => registry.count(),
    sessions: () => registry.list(),
    onSessionClosed: (listener) => registry.onClosed(listener),
    close: async () => {
      await whenAnswered(5_000);
      await modern.close();
      await registry.closeAll("shutdown");
    },
  };
}

function requestIds(body: unknown): RequestId[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => (m && typeof m === "object" && "method" in m && "id" in m && (typeof m.id === "string" || typeof m.id === "number") ? [m.id] : []));
}

/** What express's JSON parser reads as JSON without help: application/json in UTF-8 (the default). */
function isUtf8Json(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i.test(contentType);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const NOT_JSON = Symbol("not JSON");

/** As express's parser in strict mode: an object or an array, else not JSON. */
function parseStrictJson(text: string): unknown {
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== "{" && first !== "[") return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
}

// /mcp: MCP Streamable HTTP. Each session gets its own transport + server, bound to the grant that
// initialised it; a request carrying another grant's token for that session is refused.
import { randomUUID } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { Router, type Request, type Response } from "express";
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import { createDownstreamServer, type Gateway, type SessionEnd, type TaskSupport } from "../proxy/index.ts";
import { jsonRpcError } from "./errors.ts";

interface Session {
  transport: StreamableHTTPServerTransport;
  server: { sendToolListChanged(): Promise<void> };
  grantId: string;
  /** Per JSON-RPC request id: aborted when the HTTP response that carries its answer closes first. */
  connections: Map<RequestId, AbortController>;
  endReason: SessionEnd | null;
  close(reason: SessionEnd): Promise<void>;
}

export interface McpRoute {
  router: Router;
  sessionCount(): number;
  /** Tells every connected client to list tools again (policy reloaded, upstream tools changed). */
  notifyToolsChanged(): void;
  close(): Promise<void>;
}

export function createMcpRoute(deps: {
  gateway: Gateway;
  logger: Logger;
  tasksFor?: (grant: Grant) => TaskSupport;
  authenticate: (req: Request) => Promise<Grant | null>;
}): McpRoute {
  const sessions = new Map<string, Session>();
  const router = Router();
  // Responses still owed to clients: shutdown lets them finish (held calls answer at once when draining).
  const answering = new Set<Response>();
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
      res.status(401).set("WWW-Authenticate", 'Bearer realm="gatehouse"').json(jsonRpcError(-32001, "Unauthorized: send Authorization: Bearer <grant token> (create one with `gatehouse grants create --name <n>`)"));
      return;
    }
    const sessionId = req.header("mcp-session-id");
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        res.status(404).json(jsonRpcError(-32001, `Session not found: ${sessionId}. Start a new session with an initialize request.`));
        return;
      }
      if (session.grantId !== grant.id) {
        res.status(403).json(jsonRpcError(-32001, "This session belongs to another grant."));
        return;
      }
      watchConnection(session, req, res);
      await session.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== "POST" || !isInitializeRequest(req.body)) {
      res.status(400).json(jsonRpcError(-32000, "Bad Request: no mcp-session-id header; the first request of a session must be initialize."));
      return;
    }
    await openSession(grant, req, res);
  });

  async function openSession(grant: Grant, req: Request, res: Response): Promise<void> {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Runs inside handleRequest below, after `session` exists.
      onsessioninitialized: (id) => void sessions.set(id, session),
      // The client's DELETE: it ended the session, so its calls still held are cancelled.
      onsessionclosed: () => {
        session.endReason ??= "ended";
      },
    });
    const server = createDownstreamServer(
      deps.gateway,
      {
        grant,
        sessionId: () => transport.sessionId ?? "unknown",
        endReason: () => session.endReason,
        connectionLost: (requestId) => session.connections.get(requestId)?.signal,
      },
      { tasks: deps.tasksFor?.(grant), logger: deps.logger },
    );
    let closing: Promise<void> | undefined;
    const session: Session = {
      transport,
      server,
      grantId: grant.id,
      connections: new Map(),
      endReason: null,
      close: (reason) =>
        (closing ??= (async () => {
          session.endReason ??= reason;
          if (transport.sessionId) sessions.delete(transport.sessionId);
          await server.close().catch(() => {});
        })()),
    };
    transport.onclose = () => void session.close("ended");
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    deps.logger.debug({ grant: grant.name, session: transport.sessionId }, "mcp session opened");
  }

  /**
   * A client that drops the HTTP connection of a pending request (timeout without a cancel, killed
   * process) leaves its call detached, not cancelled: the SDK keeps running the handler, so the
   * gateway learns it here.
   */
  function watchConnection(session: Session, req: Request, res: Response): void {
    const ids = requestIds(req.body);
    if (ids.length === 0) return;
    const controller = new AbortController();
    for (const id of ids) session.connections.set(id, controller);
    answering.add(res);
    res.on("close", () => {
      answering.delete(res);
      if (answering.size === 0) onQuiet?.();
      if (!res.writableFinished) controller.abort();
      for (const id of ids) if (session.connections.get(id) === controller) session.connections.delete(id);
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

  return {
    router,
    sessionCount: () => sessions.size,
    notifyToolsChanged: () => {
      for (const session of sessions.values()) void session.server.sendToolListChanged().catch(() => {});
    },
    close: async () => {
      await whenAnswered(5_000);
      await Promise.all([...sessions.values()].map((s) => s.close("stopping")));
    },
  };
}

function requestIds(body: unknown): RequestId[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => (m && typeof m === "object" && "method" in m && "id" in m && (typeof m.id === "string" || typeof m.id === "number") ? [m.id] : []));
}

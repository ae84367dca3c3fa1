// /mcp: MCP Streamable HTTP. Each session gets its own transport + server, bound to the grant that
// initialised it; a request carrying another grant's token for that session is refused.
import { randomUUID } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { Router, type Request, type Response } from "express";
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import { createDownstreamServer, type Gateway, type TaskSupport } from "../proxy/index.ts";
import { jsonRpcError } from "./errors.ts";

interface Session {
  transport: StreamableHTTPServerTransport;
  server: { sendToolListChanged(): Promise<void> };
  grantId: string;
  close(): Promise<void>;
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

  router.all("/", async (req: Request, res: Response) => {
    const grant = await deps.authenticate(req);
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
    });
    const server = createDownstreamServer(deps.gateway, () => ({ grant, sessionId: transport.sessionId ?? "unknown" }), deps.tasksFor?.(grant));
    let closing: Promise<void> | undefined;
    const session: Session = {
      transport,
      server,
      grantId: grant.id,
      close: () =>
        (closing ??= (async () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
          await server.close().catch(() => {});
        })()),
    };
    transport.onclose = () => void session.close();
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    deps.logger.debug({ grant: grant.name, session: transport.sessionId }, "mcp session opened");
  }

  return {
    router,
    sessionCount: () => sessions.size,
    notifyToolsChanged: () => {
      for (const session of sessions.values()) void session.server.sendToolListChanged().catch(() => {});
    },
    close: async () => {
      await Promise.all([...sessions.values()].map((s) => s.close()));
    },
  };
}

// Streamable HTTP mode of the demo upstream: stateful sessions at /mcp, one Server + transport per
// session, all sessions sharing one account state.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Request, Response } from "express";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { createSmartleadServer, type SmartleadServerOptions } from "./server.ts";
import { createAccountState, type AccountState } from "./state.ts";

export interface SmartleadHttpOptions extends SmartleadServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  state?: AccountState;
}

export interface SmartleadHttpServer {
  url: string;
  port: number;
  state: AccountState;
  /** Open MCP sessions. */
  sessionCount: () => number;
  close: () => Promise<void>;
}

export async function startSmartleadHttpServer(options: SmartleadHttpOptions = {}): Promise<SmartleadHttpServer> {
  const host = options.host ?? "127.0.0.1";
  const state = options.state ?? createAccountState();
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = createMcpExpressApp({ host });

  app.post("/mcp", async (req: Request, res: Response) => {
    const sessionId = req.header("mcp-session-id");
    if (sessionId !== undefined) {
      const transport = sessions.get(sessionId);
      if (!transport) return void sendJsonRpcError(res, 404, "Session not found");
      return transport.handleRequest(req, res, req.body);
    }
    if (!isInitializeRequest(req.body)) {
      return void sendJsonRpcError(res, 400, "Bad Request: no Mcp-Session-Id header and not an initialize request");
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    const server = createSmartleadServer(state, options);
    server.onerror = (error) => console.error(`smartlead-demo: session error: ${error.message}`);
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  const handleSessionRequest = async (req: Request, res: Response) => {
    const sessionId = req.header("mcp-session-id");
    if (sessionId === undefined) return void sendJsonRpcError(res, 400, "Bad Request: missing Mcp-Session-Id header");
    const transport = sessions.get(sessionId);
    if (!transport) return void sendJsonRpcError(res, 404, "Session not found");
    await transport.handleRequest(req, res);
  };
  app.get("/mcp", handleSessionRequest);
  app.delete("/mcp", handleSessionRequest);

  const httpServer = createServer(app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
      sessions.clear();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    })());

  return { url: `http://${urlHost}:${port}/mcp`, port, state, sessionCount: () => sessions.size, close };
}

function sendJsonRpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
}

// A small MCP server (the SDK's, over Streamable HTTP in this process) that shows what reached it:
// cancellations of its requests, progress its own requests received. The packaged servers do not
// report those, so tests of progress and cancellation in both directions use this one.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ListRootsResultSchema,
  isInitializeRequest,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type ClientCapabilities,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import type { Request, Response } from "express";

export interface ProbeUpstream {
  url: string;
  /** Resolves when the next slow request (a read of probe://slow, a call of the tool slow) arrives. */
  nextSlow(): Promise<void>;
  /** Resolves once the next slow request is cancelled by its client (the gateway), with what the probe saw. */
  nextCancelled(): Promise<string>;
  /** Progress the probe's own sampling request received from its client. */
  samplingProgress: Progress[];
  /** The capabilities its client (the gateway) declared, from the last session opened. */
  clientCapabilities(): ClientCapabilities | undefined;
  close(): Promise<void>;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function startProbeUpstream(): Promise<ProbeUpstream> {
  let slowStarted = deferred<void>();
  let cancelled = deferred<string>();
  const waitForCancel = async (what: string, signal: AbortSignal) => {
    slowStarted.resolve();
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    cancelled.resolve(what);
  };
  const samplingProgress: Progress[] = [];
  let lastServer: Server | null = null;

  function createProbeServer(): Server {
    const server = new Server({ name: "probe", version: "1.0.0" }, { capabilities: { resources: {}, tools: {} } });
    lastServer = server;
    server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [{ uri: "probe://slow", name: "slow" }, { uri: "probe://progress", name: "progress" }] }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      if (request.params.uri === "probe://progress") {
        const token = request.params._meta?.progressToken;
        if (token !== undefined) {
          for (const progress of [1, 2]) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, total: 2, message: `step ${progress}` } });
        }
        return { contents: [{ uri: "probe://progress", text: "done" }] };
      }
      await waitForCancel(`read ${request.params.uri}`, extra.signal);
      return { contents: [] };
    });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [
        { name: "ask_until_progress", description: "Asks its client for a sample and cancels that request at the first progress it reports", inputSchema: { type: "object" } },
        { name: "slow", description: "Runs until cancelled", inputSchema: { type: "object" } },
        { name: "list_roots", description: "Asks its client for its roots", inputSchema: { type: "object" } },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      if (request.params.name === "slow") {
        await waitForCancel("call slow", extra.signal);
        return { content: [] };
      }
      if (request.params.name === "list_roots") {
        const roots = await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema);
        return { content: [{ type: "text", text: JSON.stringify(roots.roots) }] };
      }
      const abort = new AbortController();
      try {
        await extra.sendRequest({ method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: "report progress" } }], maxTokens: 5 } }, CreateMessageResultSchema, {
          signal: abort.signal,
          onprogress: (progress) => {
            samplingProgress.push(progress);
            abort.abort("seen progress");
          },
        });
        return { content: [{ type: "text", text: "the sample came back" }] };
      } catch (error) {
        return { content: [{ type: "text", text: `cancelled the sampling request: ${(error as Error).message}` }] };
      }
    });
    return server;
  }

  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = createMcpExpressApp();
  app.all("/mcp", async (req: Request, res: Response) => {
    const sessionId = req.header("mcp-session-id");
    const existing = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (existing) return existing.handleRequest(req, res, req.body);
    if (req.method !== "POST" || !isInitializeRequest(req.body)) return void res.status(400).json({ jsonrpc: "2.0", error: { code: -32000, message: "no session" }, id: null });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void sessions.set(id, transport) });
    await createProbeServer().connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const http = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => http.once("listening", () => resolve()));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    nextSlow: () => {
      slowStarted = deferred<void>();
      return slowStarted.promise;
    },
    nextCancelled: () => {
      cancelled = deferred<string>();
      return cancelled.promise;
    },
    samplingProgress,
    clientCapabilities: () => lastServer?.getClientCapabilities(),
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => {})));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

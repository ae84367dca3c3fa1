// The common request of an open 2025-11-25 session (one JSON-RPC request in a POST) served on plain
// node:http. The SDK's Streamable HTTP transport runs every request through a web-standard Request and
// ReadableStream (its hono adapter) and flushes the event-stream headers in a write of their own; for
// the gateway's busiest path that cost more CPU than deciding and auditing the call. Here the request
// goes straight to the session's MCP server (the SDK's Protocol still runs the handler, its cancellation
// and its schema checks), and what the server sends for that request — progress, requests the upstream
// makes while answering it, the result — is written to this response as the same `event: message`
// frames. A result that comes quickly leaves in one write with the headers; a slow one (a held call)
// gets its headers after HEADERS_AFTER_MS and a `: keepalive` comment after every keepAliveMs of
// silence (a held call's progress heartbeats, every 10 s by default, leave none to send).
//
// A plain `tools/call` (no task asked for) is answered without the SDK's Protocol too: the session
// server's handler runs here with what it reads of the SDK's per-request extra (a signal, the request
// id, the session id, a way to send progress for it), and its result goes out as it is — the SDK would
// parse the request and the result again with zod, results the gateway made itself or already checked
// when the upstream answered. The SDK's ways around a handler are kept: a client's notifications/cancelled
// for the call aborts its signal (and nothing is answered, as the SDK does); closing the session aborts
// it; a thrown error is answered as the same JSON-RPC error.
//
// Everything else (initialize, batches, notifications and responses from the client, GET, DELETE, a
// header the SDK would refuse, a tools/call the SDK's schema would refuse or that asks for a task) takes
// the SDK's transport, which answers it as before.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  ErrorCode,
  RELATED_TASK_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import type { ToolCallHandler } from "../proxy/index.ts";

/** A quick answer goes out with its headers in one write; a slower one shows the client its stream by then. */
const HEADERS_AFTER_MS = 200;
/** What the SDK's transport uses between keep-alive comments on a request's stream. */
const KEEP_ALIVE_MS = 15_000;

export interface DirectRequests {
  /** Serves `body` (already parsed) when it is a plain request; false when the SDK's transport must. */
  serve(req: IncomingMessage, res: ServerResponse, body: unknown): boolean;
  /** Requests served here and not answered yet. */
  size(): number;
  /** The session ended (its transport closed, whoever closed it): calls answered here are aborted, as the SDK aborts its handlers. */
  abortCalls(): void;
}

interface Stream {
  res: ServerResponse;
  timer: NodeJS.Timeout;
  /** When a frame last went out on the stream (the keep-alive comment only fills silences). */
  lastWriteAt: number;
}

const EVENT_STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** Installs itself on `transport` (before or after the server connects) and serves requests beside it. */
export function serveDirectly(transport: StreamableHTTPServerTransport, options: { keepAliveMs?: number; toolCalls?: ToolCallHandler } = {}): DirectRequests {
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const streams = new Map<RequestId, Stream>();
  /** tools/call requests answered here, by id: aborted by the client's cancel or the session closing. */
  const calls = new Map<RequestId, AbortController>();
  let isClosed = false;

  const sdkSend = transport.send.bind(transport);
  transport.send = async (message, sendOptions) => {
    const id = "id" in message && !("method" in message) ? message.id : sendOptions?.relatedRequestId;
    const stream = id === undefined || id === null ? undefined : streams.get(id);
    if (!stream) return sdkSend(message, sendOptions);
    write(stream, message);
    if (!("method" in message)) finish(id!, stream);
  };
  const sdkClose = transport.close.bind(transport);
  function abortCalls(): void {
    for (const controller of calls.values()) controller.abort();
    calls.clear();
  }
  transport.close = async () => {
    isClosed = true;
    abortCalls();
    for (const [id, stream] of streams) finish(id, stream);
    await sdkClose();
  };

  function headersFor(): Record<string, string> {
    return transport.sessionId === undefined ? EVENT_STREAM_HEADERS : { ...EVENT_STREAM_HEADERS, "mcp-session-id": transport.sessionId };
  }

  function write(stream: Stream, message: JSONRPCMessage): void {
    const frame = `event: message\ndata: ${JSON.stringify(message)}\n\n`;
    const isLast = !("method" in message);
    if (!stream.res.headersSent) {
      // The answer alone: headers and frame leave together, with a length instead of chunked encoding.
      stream.res.writeHead(200, isLast ? { ...headersFor(), "content-length": String(Buffer.byteLength(frame)) } : headersFor());
    }
    if (isLast) stream.res.end(frame);
    else {
      stream.res.write(frame);
      stream.lastWriteAt = Date.now();
    }
  }

  function finish(id: RequestId, stream: Stream): void {
    clearTimeout(stream.timer);
    if (streams.get(id) === stream) streams.delete(id);
    if (!stream.res.writableEnded) {
      if (!stream.res.headersSent) stream.res.writeHead(200, headersFor());
      stream.res.end();
    }
  }

  /** Runs the session server's tools/call handler for `request` and sends what it answers, as the SDK's Protocol would. */
  function answerToolCall(request: JSONRPCRequest, handler: ToolCallHandler): void {
    const { id } = request;
    const controller = new AbortController();
    calls.set(id, controller);
    const extra = {
      signal: controller.signal,
      requestId: id,
      sessionId: transport.sessionId,
      sendNotification: async (notification: JSONRPCNotificationLike) => {
        if (!controller.signal.aborted) await transport.send({ jsonrpc: "2.0", ...notification }, { relatedRequestId: id });
      },
    };
    handler(request as unknown as CallToolRequest, extra)
      .then(
        (result): JSONRPCMessage => ({ jsonrpc: "2.0", id, result }),
        (error: { code?: unknown; message?: string; data?: unknown }): JSONRPCMessage => ({
          jsonrpc: "2.0",
          id,
          error: {
            code: Number.isSafeInteger(error.code) ? (error.code as number) : ErrorCode.InternalError,
            message: error.message ?? "Internal error",
            ...(error.data !== undefined && { data: error.data }),
          },
        }),
      )
      .then(async (response) => {
        if (calls.get(id) === controller) calls.delete(id);
        if (!controller.signal.aborted) return transport.send(response);
        // Cancelled: nothing is answered (as the SDK does), and the request's stream ends.
        const stream = streams.get(id);
        if (stream) finish(id, stream);
      })
      .catch(() => {}); // the connection went away: nobody to answer, as when the SDK's send fails
  }

  /** A client's notifications/cancelled (alone or in a batch) for a call answered here aborts it. */
  function cancelCalls(body: unknown): void {
    for (const message of Array.isArray(body) ? body : [body]) {
      if (!isRecord(message) || message.method !== "notifications/cancelled" || !isRecord(message.params)) continue;
      const { requestId, reason } = message.params;
      if (typeof requestId !== "string" && typeof requestId !== "number") continue;
      const controller = calls.get(requestId);
      if (!controller) continue;
      calls.delete(requestId);
      controller.abort(reason);
    }
  }

  return {
    size: () => streams.size,
    abortCalls,
    serve(req, res, body) {
      if (calls.size > 0) cancelCalls(body);
      if (isClosed || !isPlainRequest(body) || streams.has(body.id) || !transport.onmessage || transport.sessionId === undefined) return false;
      if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) return false;
      const accept = req.headers.accept ?? "";
      if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return false;
      const version = req.headers["mcp-protocol-version"];
      if (version !== undefined && (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return false;

      const stream: Stream = { res, timer: setTimeout(showStream, HEADERS_AFTER_MS).unref(), lastWriteAt: Date.now() };
      streams.set(body.id, stream);
      res.on("close", () => {
        clearTimeout(stream.timer);
        if (streams.get(body.id) === stream) streams.delete(body.id);
      });
      if (options.toolCalls && isPlainToolCall(body)) answerToolCall(body, options.toolCalls);
      else transport.onmessage(body, { requestInfo: { headers: req.headers } });
      return true;

      function showStream() {
        if (res.writableEnded || res.destroyed) return;
        if (!res.headersSent) {
          res.writeHead(200, headersFor());
          res.flushHeaders();
          stream.lastWriteAt = Date.now();
        }
        stream.timer = setTimeout(keepAlive, keepAliveMs).unref();
      }
      function keepAlive() {
        if (res.writableEnded || res.destroyed) return;
        let silentMs = Date.now() - stream.lastWriteAt;
        if (silentMs >= keepAliveMs) {
          res.write(": keepalive\n\n");
          stream.lastWriteAt = Date.now();
          silentMs = 0;
        }
        stream.timer = setTimeout(keepAlive, keepAliveMs - silentMs).unref();
      }
    },
  };
}

type JSONRPCNotificationLike = { method: string; params?: Record<string, unknown> };

/** A tools/call the SDK's schema accepts, asking for no task and belonging to none. */
function isPlainToolCall(request: JSONRPCRequest): boolean {
  if (request.method !== "tools/call") return false;
  const params = request.params as Record<string, unknown> | undefined;
  if (!params || typeof params.name !== "string" || params.task !== undefined) return false;
  if (params.arguments !== undefined && !isRecord(params.arguments)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isRecord(meta) || meta[RELATED_TASK_META_KEY] !== undefined) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === "string" || typeof token === "number";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPlainRequest(body: unknown): body is JSONRPCRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  const message = body as Record<string, unknown>;
  if (message.jsonrpc !== "2.0" || typeof message.method !== "string" || message.method === "initialize") return false;
  if (typeof message.id !== "string" && typeof message.id !== "number") return false;
  return message.params === undefined || (message.params !== null && typeof message.params === "object" && !Array.isArray(message.params));
}

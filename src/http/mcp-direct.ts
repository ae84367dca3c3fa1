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
// Everything else (initialize, batches, notifications and responses from the client, GET, DELETE, a
// header the SDK would refuse) takes the SDK's transport, which answers it as before.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type JSONRPCRequest, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/** A quick answer goes out with its headers in one write; a slower one shows the client its stream by then. */
const HEADERS_AFTER_MS = 200;
/** What the SDK's transport uses between keep-alive comments on a request's stream. */
const KEEP_ALIVE_MS = 15_000;

export interface DirectRequests {
  /** Serves `body` (already parsed) when it is a plain request; false when the SDK's transport must. */
  serve(req: IncomingMessage, res: ServerResponse, body: unknown): boolean;
  /** Requests served here and not answered yet. */
  size(): number;
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
export function serveDirectly(transport: StreamableHTTPServerTransport, options: { keepAliveMs?: number } = {}): DirectRequests {
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const streams = new Map<RequestId, Stream>();
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
  transport.close = async () => {
    isClosed = true;
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

  return {
    size: () => streams.size,
    serve(req, res, body) {
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
      transport.onmessage(body, { requestInfo: { headers: req.headers } });
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

function isPlainRequest(body: unknown): body is JSONRPCRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  const message = body as Record<string, unknown>;
  if (message.jsonrpc !== "2.0" || typeof message.method !== "string" || message.method === "initialize") return false;
  if (typeof message.id !== "string" && typeof message.id !== "number") return false;
  return message.params === undefined || (message.params !== null && typeof message.params === "object" && !Array.isArray(message.params));
}

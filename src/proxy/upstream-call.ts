// `tools/call` to a Streamable HTTP upstream (2025-11-25) without the SDK client's request layers. The
// SDK sends each request through its Protocol (a progress handler, a timeout and a response handler per
// request, the result parsed twice) and its transport (web Headers, a web Response around the socket,
// the JSON-RPC message parsed again by zod); for the gateway's busiest path that cost a good part of the
// CPU of a forwarded call. Here the call is one POST on the keep-alive pool, answered by reading the
// JSON or event-stream body directly.
//
// Everything else stays with the SDK client, which shares the session: this module sits in front of
// the transport's `onmessage`, takes the answers and progress meant for its own requests (string ids
// the SDK never uses) and hands every other message on. So what the upstream sends on a call's event
// stream besides its answer — a sampling or elicitation request, a log message — reaches the SDK client
// exactly as if its own transport had read it, stamped with the agent request it came for (origin.ts).
// A stream that ends before the answer after the upstream gave its events ids is resumed by the SDK's
// transport (GET with Last-Event-ID), whose messages come back through the same `onmessage`.
//
// What a caller sees is what the SDK's `request` gives: the result parsed by the same schema, an
// McpError for a JSON-RPC error, a StreamableHTTPError for an HTTP refusal, the SDK's timeout error
// (and a notifications/cancelled sent) after `timeoutMs` without an answer or progress, the signal's
// reason (and a notifications/cancelled sent) when the caller aborts.
import type { IncomingMessage } from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { StreamableHTTPError, type StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
  type Progress,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import type { NodeRequest } from "./node-fetch.ts";
import { currentOrigin, stampOrigin } from "./origin.ts";

export interface DirectCallOptions {
  signal?: AbortSignal;
  onprogress: (progress: Progress) => void;
  timeoutMs: number;
}

export interface DirectCalls {
  /** Sends the call; resolves with its result, or null when the SDK client must send it instead (a redirect). */
  call(tool: string, args: Record<string, unknown>, options: DirectCallOptions): Promise<CallToolResult | null>;
  /** The connection ended: every call in flight fails as the SDK's do ("Connection closed"). */
  close(): void;
}

interface Pending {
  onprogress: (progress: Progress) => void;
  /** Restarts the timeout (progress arrived). */
  touch(): void;
  settle(message: JSONRPCMessage): void;
  fail(error: unknown): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const REDIRECTED = Symbol("redirected");

/** Installs itself in front of `transport.onmessage`; call after the SDK client has connected. */
export function callDirectly(
  transport: StreamableHTTPClientTransport,
  deps: {
    url: URL;
    headers: Record<string, string>;
    request: NodeRequest;
    /** Sends a notification as the SDK client (notifications/cancelled). */
    notify(notification: { method: string; params: Record<string, unknown> }): Promise<void>;
  },
): DirectCalls {
  const pending = new Map<RequestId, Pending>();
  let nextId = 0;
  let isClosed = false;

  const sdkOnMessage = transport.onmessage;
  const deliver = (message: JSONRPCMessage): void => {
    if (typeof message !== "object" || message === null) return;
    const mine = ownerOf(message);
    if (mine) {
      if ("method" in message) {
        mine.touch();
        const { progressToken: _token, ...progress } = message.params as Progress & { progressToken: unknown };
        mine.onprogress(progress);
      } else mine.settle(message);
      return;
    }
    sdkOnMessage?.(message);
  };
  transport.onmessage = deliver;

  function ownerOf(message: JSONRPCMessage): Pending | undefined {
    if ("method" in message) {
      if (message.method !== "notifications/progress") return undefined;
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      return typeof token === "string" ? pending.get(token) : undefined;
    }
    return "id" in message && typeof message.id === "string" ? pending.get(message.id) : undefined;
  }

  function headersFor(): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (transport.sessionId) headers["mcp-session-id"] = transport.sessionId;
    if (transport.protocolVersion) headers["mcp-protocol-version"] = transport.protocolVersion;
    return { ...headers, ...deps.headers };
  }

  async function call(tool: string, args: Record<string, unknown>, options: DirectCallOptions): Promise<CallToolResult | null> {
    if (isClosed) throw new McpError(ErrorCode.ConnectionClosed, "Connection closed");
    options.signal?.throwIfAborted();
    const id = `gatehouse-${nextId++}`;
    const origin = currentOrigin();
    const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: tool, arguments: args, _meta: { progressToken: id } } });
    const exchange = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    const answer = new Promise<JSONRPCMessage>((resolve, reject) => {
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        pending.delete(id);
        options.signal?.removeEventListener("abort", onAbort);
      };
      const cancel = (reason: unknown, error: unknown) => {
        if (settled) return;
        finish();
        exchange.abort(error);
        deps.notify({ method: "notifications/cancelled", params: { requestId: id, reason: String(reason) } }).catch(() => {});
        reject(error);
      };
      const onAbort = () => cancel(options.signal?.reason, options.signal?.reason);
      const onTimeout = () => cancel("Request timed out", new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: options.timeoutMs }));
      pending.set(id, {
        onprogress: options.onprogress,
        touch() {
          clearTimeout(timer);
          timer = setTimeout(onTimeout, options.timeoutMs);
        },
        settle(message) {
          if (settled) return;
          finish();
          resolve(message);
        },
        fail(error) {
          if (settled) return;
          finish();
          exchange.abort(error);
          reject(error);
        },
      });
      timer = setTimeout(onTimeout, options.timeoutMs);
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });

    let res: IncomingMessage;
    try {
      res = await deps.request(deps.url, { method: "POST", headers: headersFor(), body, signal: exchange.signal });
    } catch (error) {
      pending.get(id)?.fail(error);
      return answer.then(toResult);
    }
    if (REDIRECTS.has(res.statusCode ?? 0) && res.headers.location) {
      // Not acted on: the SDK client (whose fetch follows redirects) sends it instead.
      res.resume();
      pending.get(id)?.fail(REDIRECTED);
      return answer.then(toResult, (error: unknown) => {
        if (error === REDIRECTED) return null;
        throw error;
      });
    }
    void read(res, id, origin).catch((error: unknown) => pending.get(id)?.fail(error));
    return answer.then(toResult);
  }

  async function read(res: IncomingMessage, id: string, origin: ReturnType<typeof currentOrigin>): Promise<void> {
    const status = res.statusCode ?? 0;
    const type = mediaType(res.headers["content-type"]);
    if (status < 200 || status >= 300) {
      const text = await readText(res).catch(() => null);
      throw new StreamableHTTPError(status, `Error POSTing to endpoint: ${text}`);
    }
    if (status === 202) {
      res.resume();
      return; // no answer here; it may come on the session's GET stream, else the timeout ends the call
    }
    if (type === "application/json") {
      const data: unknown = JSON.parse(await readText(res));
      for (const message of Array.isArray(data) ? data : [data]) deliver(message as JSONRPCMessage);
      return;
    }
    if (type !== "text/event-stream") {
      res.resume();
      throw new StreamableHTTPError(-1, `Unexpected content type: ${res.headers["content-type"]}`);
    }
    let lastEventId: string | undefined;
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (event.id) lastEventId = event.id;
        if (!event.data || (event.event && event.event !== "message")) return;
        let message: JSONRPCMessage;
        try {
          message = JSON.parse(event.data) as JSONRPCMessage;
        } catch {
          return; // as the SDK's transport does: an event that is not JSON is skipped, the stream goes on
        }
        // Requests and notifications (not progress) are stamped with the agent request they came for.
        deliver(stampOrigin(message, origin));
      },
    });
    res.setEncoding("utf8");
    try {
      for await (const chunk of res) parser.feed(chunk as string);
    } catch (error) {
      if (lastEventId === undefined) throw error;
    }
    if (!pending.has(id)) return;
    if (lastEventId === undefined) throw new Error("SSE stream disconnected before the answer");
    // The upstream can replay the rest of the stream: the SDK's transport asks for it.
    await transport.send({ jsonrpc: "2.0", id, method: "tools/call" } as JSONRPCMessage, { resumptionToken: lastEventId });
  }

  return {
    call,
    close() {
      isClosed = true;
      for (const entry of [...pending.values()]) entry.fail(new McpError(ErrorCode.ConnectionClosed, "Connection closed"));
    },
  };
}

function toResult(message: JSONRPCMessage): CallToolResult {
  if ("error" in message) throw McpError.fromError(message.error.code, message.error.message, message.error.data);
  const parsed = CallToolResultSchema.safeParse((message as { result: unknown }).result);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

async function readText(res: IncomingMessage): Promise<string> {
  res.setEncoding("utf8");
  let text = "";
  for await (const chunk of res) text += chunk as string;
  return text;
}

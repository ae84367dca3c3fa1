// Which client session a message from an upstream belongs to. Every agent shares one upstream session,
// so an upstream's sampling request or log message carries no sign of whose call caused it; over
// Streamable HTTP the answer is the POST stream it arrives on. The gateway's fetch sees each POST, knows
// (from the async context the request was sent in) which agent request it carries, and stamps every
// request and notification on that POST's event stream with it under a per-process random `_meta` key,
// which an upstream cannot guess and so cannot forge. Stdio has no streams: see relay/routing.ts.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

/** A downstream session and the request of it that an upstream request was made for. */
export interface Origin {
  session: string;
  requestId: RequestId;
}

export const ORIGIN_META_KEY = `gatehouse.internal/origin-${randomUUID()}`;

const current = new AsyncLocalStorage<Origin | null>();

/** Runs `send` so that whatever it sends to an upstream is attributed to `origin` (or to nobody). */
export function sendingFor<T>(origin: Origin | null, send: () => T): T {
  return current.run(origin, send);
}

/** The origin of what is being sent right now (inside `sendingFor`), or null. */
export function currentOrigin(): Origin | null {
  return current.getStore() ?? null;
}

/** A request or notification from an upstream, stamped with `origin` (progress and cancellation are matched otherwise). */
export function stampOrigin<M extends object>(message: M, origin: Origin | null): M {
  const record = message as Record<string, unknown>;
  if (origin === null || typeof record.method !== "string" || UNSTAMPED.has(record.method)) return message;
  const params = isRecord(record.params) ? record.params : {};
  const meta = isRecord(params._meta) ? params._meta : {};
  return { ...message, params: { ...params, _meta: { ...meta, [ORIGIN_META_KEY]: origin } } };
}

/** The origin stamped on a message's params, if any. */
export function readOrigin(params: unknown): Origin | null {
  const meta = isRecord(params) ? params._meta : undefined;
  const origin = isRecord(meta) ? meta[ORIGIN_META_KEY] : undefined;
  if (!isRecord(origin) || typeof origin.session !== "string") return null;
  const { requestId } = origin;
  return typeof requestId === "string" || typeof requestId === "number" ? { session: origin.session, requestId } : null;
}

/** Params without the stamp (and without an emptied `_meta`), as the client should see them. */
export function withoutOrigin<P>(params: P): P {
  if (!isRecord(params) || !isRecord(params._meta) || !(ORIGIN_META_KEY in params._meta)) return params;
  const { [ORIGIN_META_KEY]: _stamp, ...meta } = params._meta;
  const { _meta: _old, ...rest } = params;
  return (Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest) as P;
}

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A fetch for an upstream's Streamable HTTP transport that stamps the event streams of POSTs. */
export function createOriginFetch(base: Fetch = fetch): Fetch {
  return async (url, init) => {
    const origin = currentOrigin();
    const response = await base(url, init);
    const isEventStream = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() === "text/event-stream";
    if (init?.method !== "POST" || origin === null || !response.ok || !response.body || !isEventStream) return response;
    return new Response(response.body.pipeThrough(stampEventStream(origin)), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** Re-emits an SSE stream event by event, stamping JSON-RPC requests and notifications with `origin`. */
export function stampEventStream(origin: Origin): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let lines: string[] = [];
  const take = (controller: TransformStreamDefaultController<Uint8Array>, isFinal: boolean) => {
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      if (end === -1) break;
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (buffer[end] === "\r" && end === buffer.length - 1 && !isFinal) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line !== "") lines.push(line);
      else if (lines.length > 0) {
        controller.enqueue(encoder.encode(`${stampEvent(lines, origin).join("\n")}\n\n`));
        lines = [];
      }
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      take(controller, false);
    },
    flush(controller) {
      buffer += decoder.decode();
      take(controller, true);
      if (buffer !== "") lines.push(buffer);
      if (lines.length > 0) controller.enqueue(encoder.encode(`${stampEvent(lines, origin).join("\n")}\n\n`));
    },
  });
}

// Progress and cancellation are matched by token and id already; everything else that has a method is stamped.
const UNSTAMPED = new Set(["notifications/progress", "notifications/cancelled"]);

function stampEvent(lines: string[], origin: Origin): string[] {
  const isData = (line: string) => line === "data" || line.startsWith("data:");
  const data = lines.filter(isData).map((line) => line.slice(5).replace(/^ /, ""));
  if (data.length === 0) return lines;
  let message: unknown;
  try {
    message = JSON.parse(data.join("\n"));
  } catch {
    return lines;
  }
  if (!isRecord(message) || typeof message.method !== "string" || UNSTAMPED.has(message.method)) return lines;
  return [...lines.filter((line) => !isData(line)), `data: ${JSON.stringify(stampOrigin(message, origin))}`];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

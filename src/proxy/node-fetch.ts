// The fetch the upstream transports use: node:http(s) with a keep-alive agent per gateway, instead of
// the global fetch (undici), whose request and header machinery cost more CPU per forwarded call than
// the rest of the hop. Only what the MCP transports use is here: method, headers, a string body, an
// abort signal, and the response as a web Response. A redirect is handed to the global fetch, which
// follows it (the server answered without acting on the request).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** One HTTP exchange on the pool, answered with node's own response (no web Response around it). */
export type NodeRequest = (
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<IncomingMessage>;

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createNodeFetch(options: { maxSockets?: number } = {}): Fetch & { request: NodeRequest; close(): void } {
  // An idle socket is closed after 4 s, before a Node server's default 5 s would close it under a request.
  const agentOptions = { keepAlive: true, timeout: 4_000, maxSockets: options.maxSockets ?? 256, scheduling: "lifo" as const };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  /** Settles with the response's head; its body is the caller's to read. `signal` keeps aborting it until then. */
  const request: NodeRequest = (url, init) => {
    const isHttps = url.protocol === "https:";
    const { signal, body } = init;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const headers = typeof body === "string" ? { ...init.headers, "content-length": String(Buffer.byteLength(body)) } : init.headers;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const send = isHttps ? httpsRequest : httpRequest;
      const req = send(url, { method: init.method, headers, agent: isHttps ? https : http }, (res: IncomingMessage) => {
        // The signal keeps aborting the body after the headers arrived, as fetch's does.
        res.once("close", () => signal?.removeEventListener("abort", onAbort));
        resolve(res);
      });
      const onAbort = () => {
        req.destroy(signal?.reason instanceof Error ? signal.reason : new DOMException("This operation was aborted", "AbortError"));
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      // Shaped like fetch's failure, so callers read the socket error's code from `cause` either way.
      req.on("error", (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: error }));
      });
      req.end(body);
    });
  };

  const nodeFetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? new URL(input) : input;
    if (url.protocol !== "https:" && url.protocol !== "http:") return fetch(url, init);
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== "string") return fetch(url, init);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const res = await request(url, { method: init.method ?? "GET", headers, body: body ?? undefined, signal: init.signal ?? undefined });
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && res.headers.location) {
      res.resume();
      return fetch(url, init);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else responseHeaders.set(name, value);
    }
    const stream = NULL_BODY_STATUSES.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
    if (stream === null) res.resume();
    return new Response(stream, { status, statusText: res.statusMessage ?? "", headers: responseHeaders });
  };
  return Object.assign(nodeFetch, {
    request,
    close() {
      http.destroy();
      https.destroy();
    },
  });
}

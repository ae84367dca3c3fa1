// Talking to an upstream that answers only MCP 2026-07-28 (stateless), for the gateway's 2025-11-25
// client. This transport sits under the SDK v1 Client and translates, so the rest of the gateway sees
// the upstream like any other:
// - `initialize` becomes `server/discover`; its answer becomes the initialize result.
// - every request is its own POST carrying the envelope in `_meta` (protocol version, the capabilities
//   and name the client declared at initialize, the log level it last set) and the headers the revision
//   requires (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`); `resultType` is taken off results.
// - an `input_required` result (the upstream needs sampling, elicitation or roots) is turned into the
//   server→client requests a 2025 upstream would have sent, on the same path to the agent, and the request
//   is sent again with their answers (`inputResponses`, `requestState`), up to MAX_ROUNDS times.
// - `ping` and `logging/setLevel` are answered here; cancelling a request aborts its POST; list changes
//   and resource updates come over one `subscriptions/listen` stream, reopened when subscriptions change
//   and when it ends.
import { createParser } from "eventsource-parser";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  isJSONRPCErrorResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { currentOrigin, stampOrigin, type Origin } from "./origin.ts";

export const MODERN_REVISION = "2026-07-28";
const MAX_ROUNDS = 8;
/** How soon a listen stream that ended is opened again (doubling while it keeps ending). */
const LISTEN_RETRY_MIN_MS = 1_000;
const LISTEN_RETRY_MAX_MS = 30_000;
const ENVELOPE = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
} as const;

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;
type Json = Record<string, unknown>;

/** An HTTP refusal of a POST that carried no JSON-RPC answer (what the SDK's own transport throws). */
class ModernHttpError extends StreamableHTTPError {
  constructor(status: number, body: string) {
    super(status, `HTTP ${status} from the upstream: ${body.slice(0, 500)}`);
  }
}

export class ModernHttpClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private clientCapabilities: Json = {};
  private clientInfo: Json | undefined;
  private logLevel: string | undefined;
  private readonly inFlight = new Map<RequestId, AbortController>();
  /** Input requests the client is answering: our id → the round waiting for it. */
  private readonly awaitingInput = new Map<string, (answer: JSONRPCMessage) => void>();
  private nextInputId = 0;
  private subscriptions = new Set<string>();
  private listen: AbortController | null = null;
  private listenRetryMs = LISTEN_RETRY_MIN_MS;
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string> = {},
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new Error("transport closed");
    // A request's send settles with its exchange: a network failure or an HTTP refusal rejects it, as the
    // SDK's own transport does, so the gateway can tell "never sent" from "sent, no answer".
    if (isJSONRPCRequest(message)) return this.answer(message, currentOrigin());
    if (isJSONRPCNotification(message)) {
      if (message.method === "notifications/cancelled") {
        const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        if (requestId !== undefined) this.inFlight.get(requestId)?.abort("cancelled by the client");
      }
      // initialized and roots/list_changed have no 2026-07-28 counterpart to send.
      return;
    }
    // The client's answer to an input request this transport raised.
    const id = (message as { id?: RequestId }).id;
    if (typeof id === "string") this.awaitingInput.get(id)?.(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight.values()) controller.abort("transport closed");
    this.listen?.abort();
    this.onclose?.();
  }

  /** Answers one request of the client: locally, or by one or more POSTs to the upstream. */
  private async answer(request: JSONRPCRequest, origin: Origin | null): Promise<void> {
    let result: Json;
    try {
      result = await this.resultFor(request, origin);
    } catch (error) {
      if (!isRpcError(error)) throw error;
      this.deliver({ jsonrpc: "2.0", id: request.id, error });
      return;
    }
    this.deliver({ jsonrpc: "2.0", id: request.id, result: result as never });
  }

  private async resultFor(request: JSONRPCRequest, origin: Origin | null): Promise<Json> {
    const params = (request.params ?? {}) as Json;
    switch (request.method) {
      case "initialize":
        return this.initialize(params);
      case "ping":
        return {};
      case "logging/setLevel":
        this.logLevel = typeof params.level === "string" ? params.level : undefined;
        return {};
      case "resources/subscribe":
      case "resources/unsubscribe":
        if (typeof params.uri === "string") {
          if (request.method === "resources/subscribe") this.subscriptions.add(params.uri);
          else this.subscriptions.delete(params.uri);
          this.openListenStream();
        }
        return {};
      default:
        return this.withInputRounds(request, params, origin);
    }
  }

  private async initialize(params: Json): Promise<Json> {
    this.clientCapabilities = (params.capabilities as Json | undefined) ?? {};
    this.clientInfo = params.clientInfo as Json | undefined;
    let result: Json;
    try {
      result = await this.post({ method: "server/discover", params: {} }, "discover", null);
    } catch (error) {
      // An answer that is not a discover result (an error, an HTTP refusal) is an older server; no answer is an outage.
      if (isRpcError(error) || error instanceof StreamableHTTPError) throw new NotModernError(error instanceof Error ? error.message : error.message);
      throw error;
    }
    const versions = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
    if (!versions.includes(MODERN_REVISION)) throw new NotModernError(`its server/discover lists ${JSON.stringify(versions)}`);
    const meta = (result._meta as Json | undefined) ?? {};
    this.openListenStream();
    return {
      // What the SDK client asked for: the client speaks the older revision, this transport the new one.
      protocolVersion: params.protocolVersion,
      capabilities: result.capabilities ?? {},
      serverInfo: meta[ENVELOPE.serverInfo] ?? { name: this.url.host, version: "unknown" },
      ...(typeof result.instructions === "string" && { instructions: result.instructions }),
    };
  }

  /** Sends a request; an `input_required` answer is fulfilled by the client and the request sent again. */
  private async withInputRounds(request: JSONRPCRequest, params: Json, origin: Origin | null): Promise<Json> {
    const controller = new AbortController();
    this.inFlight.set(request.id, controller);
    try {
      let retry: Json = {};
      for (let round = 0; ; round++) {
        const result = await this.post({ method: request.method, params: { ...params, ...retry } }, `${String(request.id)}:${round}`, origin, controller.signal);
        if (result.resultType !== "input_required") return asLegacyResult(result);
        if (round + 1 >= MAX_ROUNDS) throw { code: -32603, message: `the upstream still needed input after ${MAX_ROUNDS} rounds` };
        const inputRequests = (result.inputRequests as Record<string, { method: string; params?: Json }> | undefined) ?? {};
        const inputResponses: Json = {};
        for (const [key, input] of Object.entries(inputRequests)) inputResponses[key] = await this.askClient(input, origin, controller.signal);
        retry = { inputResponses, ...(result.requestState !== undefined && { requestState: result.requestState }) };
      }
    } finally {
      this.inFlight.delete(request.id);
    }
  }

  /** Raises an input request as the server→client request a 2025 upstream would send, and waits for its answer. */
  private askClient(input: { method: string; params?: Json }, origin: Origin | null, signal: AbortSignal): Promise<unknown> {
    const id = `gatehouse-input-${this.nextInputId++}`;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.awaitingInput.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.awaitingInput.set(id, (answer) => {
        this.awaitingInput.delete(id);
        signal.removeEventListener("abort", onAbort);
        if (isJSONRPCErrorResponse(answer)) reject(answer.error);
        else resolve((answer as { result?: unknown }).result);
      });
      this.deliver(stampOrigin({ jsonrpc: "2.0", id, method: input.method, params: input.params ?? {} }, origin));
    });
  }

  /** One POST: resolves with the result of the request, delivering what else arrives on its stream. */
  private async post(message: { method: string; params: Json }, id: string, origin: Origin | null, signal?: AbortSignal): Promise<Json> {
    const body = { jsonrpc: "2.0", id, method: message.method, params: { ...message.params, _meta: { ...(message.params._meta as Json | undefined), ...this.envelope() } } };
    const response = await this.fetchImpl(this.url, { method: "POST", headers: this.headersFor(message), body: JSON.stringify(body), signal });
    const answers: JSONRPCMessage[] = [];
    if (response.headers.get("content-type")?.includes("text/event-stream") && response.body) {
      await this.readEvents(response.body, (received) => {
        if (isAnswerTo(received, id)) answers.push(received);
        else this.deliver(stampOrigin(received, origin));
      });
    } else {
      const text = await response.text();
      const parsed = parseJson(text);
      if (parsed && isAnswerTo(parsed as JSONRPCMessage, id)) answers.push(parsed as JSONRPCMessage);
      else if (!response.ok) throw new ModernHttpError(response.status, text);
    }
    const answer = answers[0];
    if (!answer) throw new ModernHttpError(response.status, "no answer to the request");
    if (isJSONRPCErrorResponse(answer)) throw answer.error;
    return (answer as { result: Json }).result;
  }

  /** The long-lived stream for list changes and updates of subscribed resources; reopened when those change. */
  private openListenStream(): void {
    this.listen?.abort();
    if (this.closed) return;
    const controller = new AbortController();
    this.listen = controller;
    const notifications = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true, resourceSubscriptions: [...this.subscriptions] };
    const message = { method: "subscriptions/listen", params: { notifications } };
    const body = { jsonrpc: "2.0", id: "gatehouse-listen", method: message.method, params: { ...message.params, _meta: this.envelope() } };
    const onNotification = (received: JSONRPCMessage) => {
      if (!isJSONRPCNotification(received)) return;
      this.listenRetryMs = LISTEN_RETRY_MIN_MS;
      this.deliver(received);
    };
    void this.fetchImpl(this.url, { method: "POST", headers: this.headersFor(message), body: JSON.stringify(body), signal: controller.signal })
      .then(async (response) => {
        // An upstream that refuses to listen (an error answer, not a stream) is not asked again.
        if (!response.ok || !response.body || !response.headers.get("content-type")?.includes("text/event-stream")) return false;
        await this.readEvents(response.body, onNotification);
        return true;
      })
      .catch(() => true)
      .then((isWorthReopening) => {
        // The stream ended on its own (the upstream restarted, a proxy cut it): open it again, backing off.
        if (!isWorthReopening || this.closed || this.listen !== controller || controller.signal.aborted) return;
        const delay = this.listenRetryMs;
        this.listenRetryMs = Math.min(LISTEN_RETRY_MAX_MS, delay * 2);
        setTimeout(() => {
          if (this.listen === controller) this.openListenStream();
        }, delay).unref();
      });
  }

  private async readEvents(body: ReadableStream<Uint8Array>, onMessage: (message: JSONRPCMessage) => void): Promise<void> {
    const parser = createParser({
      onEvent: (event) => {
        const message = parseJson(event.data);
        if (message) onMessage(message as JSONRPCMessage);
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
  }

  private envelope(): Json {
    return {
      [ENVELOPE.protocolVersion]: MODERN_REVISION,
      [ENVELOPE.clientCapabilities]: this.clientCapabilities,
      ...(this.clientInfo && { [ENVELOPE.clientInfo]: this.clientInfo }),
      ...(this.logLevel && { [ENVELOPE.logLevel]: this.logLevel }),
    };
  }

  private headersFor(message: { method: string; params: Json }): Record<string, string> {
    const name = message.method === "resources/read" ? message.params.uri : message.method === "tools/call" || message.method === "prompts/get" ? message.params.name : undefined;
    return {
      ...this.headers,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN_REVISION,
      "mcp-method": message.method,
      ...(typeof name === "string" && { "mcp-name": name }),
    };
  }

  private deliver(message: JSONRPCMessage): void {
    if (!this.closed) this.onmessage?.(message);
  }
}

/** The upstream answered, but not as a 2026-07-28 server: speak 2025-11-25 to it. */
export class NotModernError extends Error {
  constructor(detail: string) {
    super(`the upstream does not speak MCP ${MODERN_REVISION}: ${detail}`);
  }
}

/** A result without what belongs to the 2026-07-28 exchange: `resultType`, cache fields, the envelope keys in `_meta`. */
function asLegacyResult(result: Json): Json {
  const { resultType: _type, ttlMs: _ttl, cacheScope: _scope, _meta, ...rest } = result;
  const meta = _meta && typeof _meta === "object" ? Object.entries(_meta as Json).filter(([key]) => !key.startsWith("io.modelcontextprotocol/")) : [];
  return meta.length > 0 ? { ...rest, _meta: Object.fromEntries(meta) } : rest;
}

function isAnswerTo(message: JSONRPCMessage, id: string): boolean {
  return (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id === id;
}

function isRpcError(value: unknown): value is { code: number; message: string; data?: unknown } {
  return typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code === "number" && typeof (value as { message?: unknown }).message === "string";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

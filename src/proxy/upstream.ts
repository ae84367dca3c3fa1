// One managed MCP client per upstream, shared by every agent. Stdio children are respawned with
// exponential backoff when they exit; HTTP sessions are re-established on the next call. Calls in flight
// when the connection drops reject (the SDK fails pending requests on close), so a crash never looks like
// a success; a call that was sent but never answered fails with `upstream_outcome_unknown`, since it may
// have run. Every request remembers which agent request it was sent for (its Origin), so what the
// upstream sends back (sampling, elicitation, log messages) can be routed to that agent.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolResultSchema,
  CancelledNotificationSchema,
  CreateMessageRequestSchema,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ResultSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientNotification,
  type ClientRequest,
  type ClientResult,
  type Progress,
  type Result,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { isStdioUpstream, type ResolvedUpstream } from "../config/index.ts";
import { GatewayError } from "../errors.ts";
import type { Logger } from "../log/index.ts";
import { sendingFor, type Origin } from "./origin.ts";
import { NotModernError } from "./upstream-modern.ts";
import type { DirectCalls } from "./upstream-call.ts";
import { createUpstreamTransport, directCallsOn, pidOf } from "./upstream-transport.ts";

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 30_000;
const READY_WAIT_MS = 10_000;

export type UpstreamState = "connecting" | "ready" | "down" | "closed";

/** The MCP revision spoken to an upstream: 2026-07-28 (stateless) or 2025-11-25 (a session). */
export type UpstreamRevision = "2026-07-28" | "2025-11-25";

export interface UpstreamStatus {
  name: string;
  state: UpstreamState;
  /** The revision of the current (or last) connection; null before one was made. */
  revision: UpstreamRevision | null;
  pid: number | null;
  restarts: number;
  lastError: string | null;
  tools: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  onprogress?: (progress: Progress) => void;
  /** The agent request this is sent for; absent for the gateway's own requests and calls run for no agent. */
  origin?: Origin | null;
}

/** A request the upstream sends its client (the gateway): sampling, elicitation, roots. */
export type UpstreamClientRequest = Extract<ServerRequest, { method: "sampling/createMessage" | "elicitation/create" | "roots/list" }>;
export type ClientRequestExtra = RequestHandlerExtra<ClientRequest, ClientNotification>;
export type ClientRequestHandler = (upstream: string, request: UpstreamClientRequest, extra: ClientRequestExtra) => Promise<ClientResult>;
/** Notifications the relay passes on (tools/list_changed has its own listener: the gateway caches tool lists). */
export type RelayedNotification = Extract<
  ServerNotification,
  { method: "notifications/resources/updated" | "notifications/resources/list_changed" | "notifications/prompts/list_changed" | "notifications/message" | "notifications/elicitation/complete" }
>;

/**
 * What the gateway tells every upstream it can do as a client. One upstream session serves every agent,
 * so it claims all it can relay; a request an agent's own client cannot answer gets the error that
 * client would give. Roots carry no listChanged: see relay/client-requests.ts.
 */
const CLIENT_CAPABILITIES = { sampling: { tools: {} }, elicitation: { form: {}, url: {} }, roots: {} };

export interface UpstreamConnection {
  readonly name: string;
  status(): UpstreamStatus;
  /** Resolves once connected (or rejects after READY_WAIT_MS). */
  whenReady(): Promise<void>;
  listTools(): Promise<Tool[]>;
  /** The last tool list fetched, without waiting for a connection; null when none yet. */
  cachedTools(): Tool[] | null;
  callTool(tool: string, args: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult>;
  /** Any other request (resources, prompts, completion, logging), its result passed on as the upstream gave it. */
  request(request: { method: string; params?: Record<string, unknown> }, options?: CallOptions): Promise<Result>;
  /** What the upstream offered at its last initialize; null before it ever connected. */
  capabilities(): ServerCapabilities | null;
  /** The origins of the requests in flight to this upstream right now; null for a request sent for no agent. */
  inFlight(): Array<Origin | null>;
  onToolsChanged(listener: () => void): void;
  onNotification(listener: (notification: RelayedNotification) => void): void;
  /** After every connection made (the first and each reconnect): per-session state to restore. */
  onConnected(listener: () => void): void;
  /** Answers the upstream's sampling, elicitation and roots requests; without one they get Method not found. */
  setClientRequestHandler(handler: ClientRequestHandler): void;
  close(): Promise<void>;
}

export function createUpstreamConnection(config: ResolvedUpstream, logger: Logger): UpstreamConnection {
  const log = logger.child({ upstream: config.name });
  let client: Client | null = null;
  let transport: Transport | null = null;
  let state: UpstreamState = "connecting";
  let lastError: string | null = null;
  let restarts = 0;
  let attempt = 0;
  let tools: Tool[] | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let readyWaiters: Array<{ wake(): void; fail(error: Error): void }> = [];
  let capabilities: ServerCapabilities | null = null;
  let clientRequestHandler: ClientRequestHandler | null = null;
  const toolListeners: Array<() => void> = [];
  const notificationListeners: Array<(notification: RelayedNotification) => void> = [];
  const connectedListeners: Array<() => void> = [];
  const inFlight = new Map<number, Origin | null>();
  /** Each connection's `tools/call` path past the SDK client, where the transport has one. */
  const directCalls = new WeakMap<Client, DirectCalls>();
  let nextInFlight = 0;
  /** The MCP revision of the current connection (each connection decides anew). */
  let revision: UpstreamRevision | null = null;

  // A function, not an inline comparison: `state` changes across awaits, which narrowing can't see.
  const isClosed = () => state === "closed";

  function setReady(): void {
    state = "ready";
    attempt = 0;
    for (const waiter of readyWaiters) waiter.wake();
    readyWaiters = [];
  }

  function installRelayHandlers(next: Client): void {
    const relay = (notification: RelayedNotification) => {
      for (const listener of notificationListeners) listener(notification);
    };
    next.setNotificationHandler(ResourceUpdatedNotificationSchema, relay);
    next.setNotificationHandler(ResourceListChangedNotificationSchema, relay);
    next.setNotificationHandler(PromptListChangedNotificationSchema, relay);
    next.setNotificationHandler(LoggingMessageNotificationSchema, relay);
    next.setNotificationHandler(ElicitationCompleteNotificationSchema, relay);
    // The SDK drops notifications/cancelled for request id 0, the id an SDK server gives its first
    // request; the gateway keeps its own signals so that such a cancel still reaches the agent.
    const cancels = new Map<string | number, AbortController>();
    next.setNotificationHandler(CancelledNotificationSchema, (notification) => {
      const { requestId, reason } = notification.params;
      if (requestId !== undefined) cancels.get(requestId)?.abort(reason);
    });
    const answer = async (request: UpstreamClientRequest, extra: ClientRequestExtra) => {
      if (!clientRequestHandler) throw new McpError(ErrorCode.MethodNotFound, "Method not found");
      const cancel = new AbortController();
      cancels.set(extra.requestId, cancel);
      try {
        return await clientRequestHandler(config.name, request, { ...extra, signal: AbortSignal.any([extra.signal, cancel.signal]) });
      } finally {
        cancels.delete(extra.requestId);
      }
    };
    next.setRequestHandler(CreateMessageRequestSchema, answer);
    next.setRequestHandler(ElicitRequestSchema, answer);
    next.setRequestHandler(ListRootsRequestSchema, answer);
  }

  // No agent's request may lend its origin to a connection: reconnects start from a clean context.
  function connect(): Promise<void> {
    return sendingFor(null, connectOnce);
  }

  /**
   * An HTTP upstream is asked first in 2026-07-28 (server/discover): a server that lists that revision is
   * spoken to in it, since an SDK v2 server's 2025 leg is stateless (no requests to its client, no
   * subscriptions). Any other answer means 2025-11-25, with a session. Stdio upstreams speak 2025-11-25.
   */
  async function connectOnce(attempt: UpstreamRevision = isStdioUpstream(config) ? "2025-11-25" : "2026-07-28"): Promise<void> {
    if (state === "closed") return;
    state = "connecting";
    const next = new Client({ name: "gatehouse", version: "0.1.0" }, { capabilities: CLIENT_CAPABILITIES });
    const nextTransport = createUpstreamTransport(config, log, { modern: attempt === "2026-07-28" });
    // Non-JSON lines on a stdio server's stdout (banners) surface here; they are not fatal.
    next.onerror = (error) => log.debug({ err: error.message }, "upstream transport error (ignored)");
    next.onclose = () => {
      directCalls.get(next)?.close();
      if (client !== next) return;
      client = null;
      transport = null;
      if (state === "closed") return;
      state = "down";
      lastError = "connection closed";
      log.warn("upstream connection closed; reconnecting");
      scheduleReconnect();
    };
    next.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      tools = null;
      for (const listener of toolListeners) listener();
    });
    installRelayHandlers(next);
    try {
      await next.connect(nextTransport);
    } catch (error) {
      await nextTransport.close().catch(() => {});
      if (error instanceof NotModernError) return connectOnce("2025-11-25");
      lastError = (error as Error).message;
      state = "down";
      log.warn({ err: lastError }, "upstream connect failed");
      scheduleReconnect();
      return;
    }
    if (isClosed()) {
      await next.close().catch(() => {});
      return;
    }
    const direct = directCallsOn(nextTransport, config, (notification) => next.notification(notification as ClientNotification));
    if (direct) directCalls.set(next, direct);
    client = next;
    transport = nextTransport;
    tools = null;
    lastError = null;
    capabilities = next.getServerCapabilities() ?? {};
    revision = attempt;
    setReady();
    log.info({ pid: pidOf(nextTransport), revision }, "upstream connected");
    for (const listener of connectedListeners) listener();
  }

  function scheduleReconnect(): void {
    if (state === "closed" || retryTimer) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
    attempt += 1;
    restarts += 1;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    retryTimer.unref();
  }

  function whenReady(): Promise<void> {
    if (state === "ready" && client) return Promise.resolve();
    if (state === "closed") return Promise.reject(unavailable("upstream is shut down"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        readyWaiters = readyWaiters.filter((w) => w !== waiter);
        reject(unavailable(lastError ?? "not connected"));
      }, READY_WAIT_MS);
      const waiter = {
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      readyWaiters.push(waiter);
    });
  }

  // Sent means it may have run: only an answer from the upstream (a JSON-RPC error, an HTTP 4xx refusal)
  // or a connection that was never made proves it did not.
  function classifyCallFailure(error: unknown, how: { isConnectionLost: boolean; isCancelled: boolean }): unknown {
    const message = error instanceof Error ? error.message : String(error);
    if (how.isCancelled) return outcomeUnknown("the agent's client cancelled the call after it was sent", error);
    if (how.isConnectionLost) return outcomeUnknown(`the connection was lost during the call (${message})`, error);
    if (isRequestTimeout(error)) return outcomeUnknown(`no answer within ${config.timeoutMs} ms (upstreams.${config.name}.timeoutMs)`, error);
    if (error instanceof McpError) return error; // the upstream answered with a JSON-RPC error
    if (error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500) return error;
    if (isConnectRefusal(error)) return unavailable(`cannot connect (${message})`);
    return outcomeUnknown(`the request failed after it was sent (${message})`, error);
  }

  function outcomeUnknown(detail: string, cause: unknown): GatewayError {
    return new GatewayError("upstream_outcome_unknown", `Upstream "${config.name}" gave no answer: ${detail}`, {
      cause,
      context: { upstream: config.name },
    });
  }

  function unavailable(detail: string): GatewayError {
    return new GatewayError("upstream_unavailable", `Upstream "${config.name}" is unavailable: ${detail}`, {
      retryable: true,
      context: { upstream: config.name },
    });
  }

  async function connectedClient(): Promise<Client> {
    await whenReady();
    if (!client) throw unavailable(lastError ?? "not connected");
    return client;
  }

  /** Sends on `current`, counted in flight for its origin until it settles. */
  async function send<T>(origin: Origin | null, run: () => Promise<T>): Promise<T> {
    const id = nextInFlight++;
    inFlight.set(id, origin);
    try {
      return await sendingFor(origin, run);
    } finally {
      inFlight.delete(id);
    }
  }

  void connect();

  return {
    name: config.name,
    status: () => ({ name: config.name, state, revision, pid: transport ? pidOf(transport) : null, restarts, lastError, tools: tools?.length ?? 0 }),
    whenReady,
    cachedTools: () => tools,
    async listTools() {
      if (tools) return tools;
      const current = await connectedClient();
      const collected: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await send(null, () => current.listTools(cursor ? { cursor } : undefined));
        collected.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      if (client === current) tools = collected;
      return collected;
    },
    async callTool(tool, args, options = {}) {
      // Up to here nothing was sent: a failure is `upstream_unavailable`, and the call did not run.
      const current = await connectedClient();
      options.signal?.throwIfAborted();
      try {
        // `request` instead of `callTool`: the gateway forwards results as they are, without
        // validating output schemas or refusing task-only tools on the upstream's behalf.
        // Always ask the upstream for progress, so a call that keeps reporting it is not cut at
        // timeoutMs because the agent happened not to ask for progress itself.
        const onprogress = options.onprogress ?? ignoreProgress;
        const direct = directCalls.get(current);
        return await send(options.origin ?? null, async () => {
          const result = direct ? await direct.call(tool, args, { signal: options.signal, onprogress, timeoutMs: config.timeoutMs }) : null;
          return (
            result ??
            current.request({ method: "tools/call", params: { name: tool, arguments: args } }, CallToolResultSchema, {
              signal: options.signal,
              onprogress,
              timeout: config.timeoutMs,
              resetTimeoutOnProgress: true,
            })
          );
        });
      } catch (error) {
        throw classifyCallFailure(error, { isConnectionLost: client !== current, isCancelled: options.signal?.aborted === true });
      }
    },
    async request(request, options = {}) {
      const current = await connectedClient();
      options.signal?.throwIfAborted();
      // ResultSchema keeps every field: what the upstream answered reaches the agent unchanged.
      return send(options.origin ?? null, () =>
        current.request(request as ClientRequest, ResultSchema, {
          signal: options.signal,
          ...(options.onprogress && { onprogress: options.onprogress, resetTimeoutOnProgress: true }),
          timeout: config.timeoutMs,
        }),
      );
    },
    capabilities: () => capabilities,
    inFlight: () => [...inFlight.values()],
    onToolsChanged(listener) {
      toolListeners.push(listener);
    },
    onNotification(listener) {
      notificationListeners.push(listener);
    },
    onConnected(listener) {
      connectedListeners.push(listener);
    },
    setClientRequestHandler(handler) {
      clientRequestHandler = handler;
    },
    async close() {
      if (state === "closed") return;
      state = "closed";
      clearTimeout(retryTimer);
      // Calls waiting for a connection fail now: their timers would otherwise keep a stopping process alive.
      for (const waiter of readyWaiters) waiter.fail(unavailable("upstream is shut down"));
      readyWaiters = [];
      const current = client;
      client = null;
      transport = null;
      await current?.close().catch(() => {});
    },
  };
}

// The SDK's own timeout, not a -32001 error sent by the upstream: it carries the timeout it waited for.
function isRequestTimeout(error: unknown): boolean {
  return error instanceof McpError && error.code === ErrorCode.RequestTimeout && typeof (error.data as { timeout?: unknown } | undefined)?.timeout === "number";
}

// fetch() failing to open a connection: the HTTP request never left this process.
const CONNECT_REFUSALS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
function isConnectRefusal(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" && CONNECT_REFUSALS.has(code);
}


function ignoreProgress(): void {}

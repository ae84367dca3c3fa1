// One 2026-07-28 request, run on a session of its own (see mcp-modern.ts), across as many HTTP rounds as
// it needs. What an upstream asks its client while the request runs (sampling, elicitation, roots) cannot
// be sent to a 2026-07-28 client: that revision answers the request with `input_required`, listing what
// is needed, and the client sends the same request again with the answers. So the exchange keeps the
// session (and the upstream call in it) waiting between rounds, parked under an unguessable
// `requestState` that only the same grant may resume, and gives up on it after PARK_MS.
import { randomBytes, randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ResultSchema,
  type ClientCapabilities,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { ProtocolError, type ServerContext } from "@modelcontextprotocol/server";
import type { Grant } from "../grants/index.ts";
import { createDownstreamServer, type Gateway, type TaskSupport } from "../proxy/index.ts";

/** How long a request waiting for its client's input stays parked. */
const PARK_MS = 10 * 60_000;
/** At most this many parked requests at once (the oldest is given up first). */
const MAX_PARKED = 1_000;
/** A held call may wait for days; the in-memory client must not give up on it first. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;
const ENVELOPE_PREFIX = "io.modelcontextprotocol/";

export interface ExchangeRequest {
  grant: Grant;
  method: string;
  params: Record<string, unknown>;
  /** What the client said it is and can do (`_meta` envelope), and the log level it asked for. */
  clientInfo: { name: string; version: string };
  clientCapabilities: ClientCapabilities;
  logLevel?: string;
  /** Present when the client declared the tasks extension: a held call is answered with a task. */
  tasks?: TaskSupport;
}

interface InputRequest {
  method: string;
  params?: Record<string, unknown>;
}

interface PendingInput {
  request: InputRequest;
  isAsked: boolean;
  answer(response: unknown): void;
  fail(error: Error): void;
}

type Outcome = { result: Record<string, unknown> } | { error: unknown };

export interface Exchanges {
  /** Runs a request, or resumes the parked one its `requestState` names; resolves with this round's answer. */
  round(request: ExchangeRequest, ctx: ServerContext, connection: AbortSignal | undefined): Promise<unknown>;
  close(): Promise<void>;
}

export function createExchanges(gateway: Gateway): Exchanges {
  const parked = new Map<string, Exchange>();

  class Exchange {
    readonly grantId: string;
    readonly method: string;
    private readonly pending = new Map<string, PendingInput>();
    private nextKey = 0;
    private outcome: Outcome | null = null;
    private wake: (() => void) | null = null;
    private ctx: ServerContext;
    private lost = new AbortController();
    private ending = false;
    private parkTimer: NodeJS.Timeout | undefined;
    private readonly server;
    private readonly client: Client;

    constructor(
      private readonly request: ExchangeRequest,
      ctx: ServerContext,
    ) {
      this.grantId = request.grant.id;
      this.method = request.method;
      this.ctx = ctx;
      const sessionId = `stateless-${randomUUID()}`;
      this.server = createDownstreamServer(
        gateway,
        { grant: request.grant, sessionId: () => sessionId, endReason: () => (this.ending ? "stopping" : null), connectionLost: () => this.lost.signal },
        { tasks: request.tasks },
      );
      this.client = new Client(request.clientInfo, { capabilities: request.clientCapabilities });
      const ask = (input: { method: string; params?: Record<string, unknown> }) => this.ask(input);
      // Only what the client declared: the relay refuses the rest to the upstream, as for a 2025 client.
      const declared = request.clientCapabilities;
      if (declared.sampling) this.client.setRequestHandler(CreateMessageRequestSchema, ask as never);
      if (declared.elicitation) this.client.setRequestHandler(ElicitRequestSchema, ask as never);
      if (declared.roots) this.client.setRequestHandler(ListRootsRequestSchema, ask as never);
    }

    async start(): Promise<void> {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await this.server.connect(serverSide);
      await this.client.connect(clientSide);
      // Log messages only for a request that asks for them, at the level it names.
      if (this.request.logLevel && gateway.relay.capabilities().logging) {
        this.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => this.ctx.mcpReq.notify(notification).catch(() => {}));
        await this.client.setLoggingLevel(this.request.logLevel as "info");
      }
      const progressToken = this.ctx.mcpReq._meta?.progressToken;
      const onprogress =
        progressToken === undefined
          ? undefined
          : (progress: Progress) => void this.ctx.mcpReq.notify({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => {});
      this.client
        .request({ method: this.request.method, params: withoutEnvelope(this.request.params) } as never, ResultSchema, {
          timeout: NO_TIMEOUT_MS,
          onprogress,
          resetTimeoutOnProgress: true,
        })
        .then(
          (result) => this.settle({ result }),
          (error: unknown) => this.settle({ error }),
        );
    }

    /** One HTTP round: the final answer, or `input_required` naming what the upstream is waiting for. */
    async round(ctx: ServerContext, connection: AbortSignal | undefined, responses: Record<string, unknown> | undefined): Promise<unknown> {
      clearTimeout(this.parkTimer);
      this.ctx = ctx;
      for (const [key, response] of Object.entries(responses ?? {})) {
        const input = this.pending.get(key);
        if (!input) continue;
        this.pending.delete(key);
        input.answer(response);
      }
      // Asked, but not answered in this round: asked again.
      for (const input of this.pending.values()) input.isAsked = false;
      // Between rounds nobody is connected by design; only a connection lost during a round detaches the call.
      const signals = [connection, ctx.mcpReq.signal].filter((s): s is AbortSignal => s !== undefined);
      const onLost = () => this.lost.abort("connection lost");
      for (const signal of signals) signal.addEventListener("abort", onLost, { once: true });
      try {
        await this.untilSomethingToSay();
      } finally {
        for (const signal of signals) signal.removeEventListener("abort", onLost);
      }
      if (this.outcome) {
        await this.close();
        if ("error" in this.outcome) throw toProtocolError(this.outcome.error);
        return this.outcome.result;
      }
      const inputRequests: Record<string, InputRequest> = {};
      for (const [key, input] of this.pending) {
        input.isAsked = true;
        inputRequests[key] = input.request;
      }
      return { resultType: "input_required", inputRequests, requestState: this.park() };
    }

    private ask(input: { method: string; params?: Record<string, unknown> }): Promise<unknown> {
      return new Promise((answer, fail) => {
        this.pending.set(`input-${this.nextKey++}`, { request: { method: input.method, ...(input.params && { params: input.params }) }, isAsked: false, answer, fail });
        // Requests raised together go out in one round.
        setImmediate(() => this.wake?.());
      });
    }

    private settle(outcome: Outcome): void {
      this.outcome = outcome;
      this.wake?.();
    }

    private untilSomethingToSay(): Promise<void> {
      const hasNews = () => this.outcome !== null || [...this.pending.values()].some((input) => !input.isAsked);
      if (hasNews()) return Promise.resolve();
      return new Promise((resolve) => {
        this.wake = () => {
          if (!hasNews()) return;
          this.wake = null;
          resolve();
        };
      });
    }

    private park(): string {
      const state = randomBytes(24).toString("base64url");
      parked.set(state, this);
      if (parked.size > MAX_PARKED) void parked.values().next().value?.abandon();
      this.parkTimer = setTimeout(() => void this.abandon(), PARK_MS);
      this.parkTimer.unref();
      return state;
    }

    /** The client never came back: the upstream's requests get an error, and the session ends. */
    async abandon(): Promise<void> {
      for (const input of this.pending.values()) input.fail(new McpError(-32603, "the agent's client did not send the input this request needed"));
      await this.close();
    }

    async close(): Promise<void> {
      clearTimeout(this.parkTimer);
      for (const [state, exchange] of parked) if (exchange === this) parked.delete(state);
      this.ending = true;
      await this.client.close().catch(() => {});
      await this.server.close().catch(() => {});
    }
  }

  return {
    async round(request, ctx, connection) {
      const state = ctx.mcpReq.requestState<string>();
      if (typeof state === "string") {
        const exchange = parked.get(state);
        if (!exchange || exchange.grantId !== request.grant.id || exchange.method !== request.method) {
          throw new ProtocolError(-32602, "requestState is unknown, expired or not this grant's: send the request again without it.");
        }
        parked.delete(state);
        return exchange.round(ctx, connection, ctx.mcpReq.inputResponses);
      }
      const exchange = new Exchange(request, ctx);
      try {
        await exchange.start();
      } catch (error) {
        await exchange.close();
        throw error;
      }
      return exchange.round(ctx, connection, undefined);
    },
    async close() {
      await Promise.all([...new Set(parked.values())].map((exchange) => exchange.abandon()));
    },
  };
}

function toProtocolError(error: unknown): unknown {
  if (error instanceof McpError) return new ProtocolError(error.code, error.message.replace(/^MCP error -?\d+: /, ""), error.data);
  return error;
}

function withoutEnvelope(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  if (!meta || typeof meta !== "object") return params;
  const kept = Object.fromEntries(Object.entries(meta).filter(([key]) => !key.startsWith(ENVELOPE_PREFIX)));
  const { _meta: _dropped, ...rest } = params;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}

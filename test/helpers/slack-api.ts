// The one stand-in of the suite: a local server speaking the Slack Web API shape (what `SLACK_API_URL`
// points at) and Slack's Socket Mode protocol (apps.connections.open hands out a ws:// URL on the same
// port), plus helpers that sign and post interaction payloads to /slack/events exactly as Slack does.
import { createHmac, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { Approval, SlackMessageRef } from "../../src/approvals/types.ts";

export interface SlackApiCall {
  method: string;
  /** Form fields (JSON-looking values such as `blocks` decoded) or the JSON body. */
  body: Record<string, unknown>;
  token: string | null;
  /** What the stand-in answered (e.g. the `ts` of a posted message). */
  response: Record<string, unknown>;
}

export type SlackFailure = { kind: "error"; error: string } | { kind: "http"; status: number };

export interface SlackApiStandIn {
  /** Base URL for WebClient `slackApiUrl` / `SLACK_API_URL` (ends with /api/). */
  url: string;
  calls: SlackApiCall[];
  callsTo(method: string): SlackApiCall[];
  setGroupMembers(groupId: string, members: string[]): void;
  /** The next `count` calls of `method` fail: `{ok:false, error}` (e.g. "ratelimited") or an HTTP status. */
  failNext(method: string, count: number, failure?: SlackFailure): void;
  /** Resolves with the first call (already recorded or still to come) matching; rejects after timeoutMs. */
  /** The first call (already made or still to come) to `method`, or to any of several methods, that matches. */
  waitFor(method: string | string[], predicate?: (call: SlackApiCall) => boolean, timeoutMs?: number): Promise<SlackApiCall>;
  /** Socket Mode connections currently open (greeted with `hello`, not yet closed). */
  socketConnections(): number;
  /** Resolves once no Socket Mode connection is open (e.g. after the app disconnected); rejects after timeoutMs. */
  waitForSocketsClosed(timeoutMs?: number): Promise<void>;
  /** Resolves once `count` Socket Mode connections have ever been greeted (reconnects included). */
  waitForSocketHello(count?: number, timeoutMs?: number): Promise<void>;
  /**
   * Sends an `interactive` envelope (a block_actions or view_submission payload) over the newest open
   * connection, as Slack does; resolves when the app acknowledges it with the envelope's id.
   */
  deliverInteractive(payload: Record<string, unknown>, timeoutMs?: number): Promise<void>;
  /** Slack's `disconnect` message (it is recycling the connection): the app should reconnect by itself. */
  requestReconnect(reason?: "warning" | "refresh_requested" | "link_disabled"): void;
  close(): Promise<void>;
}

export interface SlackApiStandInOptions {
  /** App-level tokens (xapp-…) apps.connections.open accepts; every other token is refused as Slack would. */
  appTokens?: string[];
}

export const TEAM_ID = "T0GATEHSE";
export const BOT_USER_ID = "U0GATEBOT";
export const APP_ID = "A0GATEHOUSE";

export async function startSlackApiStandIn(options: SlackApiStandInOptions = {}): Promise<SlackApiStandIn> {
  const calls: SlackApiCall[] = [];
  const arrivals = new EventEmitter();
  const appTokens = new Set(options.appTokens ?? []);
  /** Single-use tickets from apps.connections.open, redeemed by the WebSocket upgrade. */
  const tickets = new Set<string>();
  const sockets: WebSocket[] = [];
  /** Envelope ids the app has acknowledged (`{"envelope_id": …, "payload": …}`). */
  const acks = new Set<string>();
  let hellos = 0;
  const groups = new Map<string, string[]>();
  const failures = new Map<string, { count: number; failure: SlackFailure }>();
  let tsCounter = 0;
  const nextTs = () => `1700000000.${String(++tsCounter).padStart(6, "0")}`;

  const server = createServer(async (req, res) => {
    const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
    const body = parseBody(req.headers["content-type"] ?? "", await readBody(req));
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? (typeof body.token === "string" ? body.token : null);
    const call: SlackApiCall = { method, body, token, response: {} };
    calls.push(call);
    const planned = failures.get(method);
    if (planned && planned.count > 0) {
      planned.count--;
      if (planned.failure.kind === "http") {
        res.writeHead(planned.failure.status, { "content-type": "text/plain" }).end("stand-in failure");
      } else {
        call.response = { ok: false, error: planned.failure.error };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(call.response));
      }
      arrivals.emit("call", call);
      return;
    }
    call.response = token ? answer(call) : { ok: false, error: "not_authed" };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(call.response));
    arrivals.emit("call", call);
  });

  function answer({ method, body, token }: Pick<SlackApiCall, "method" | "body" | "token">): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return { ok: true, url: "https://gatehouse-test.slack.com/", team: "Gatehouse Test", user: "gatehouse", team_id: TEAM_ID, user_id: BOT_USER_ID, bot_id: "B0GATEBOT" };
      case "chat.postMessage": {
        if (typeof body.channel !== "string" || body.channel === "") return { ok: false, error: "channel_not_found" };
        const ts = nextTs();
        return { ok: true, channel: body.channel, ts, message: { type: "message", text: body.text, blocks: body.blocks, ts, bot_id: "B0GATEBOT" } };
      }
      case "chat.update":
        return { ok: true, channel: body.channel, ts: body.ts, text: body.text, message: { text: body.text, blocks: body.blocks } };
      case "chat.postEphemeral":
        return { ok: true, message_ts: nextTs() };
      case "views.open":
        if (typeof body.trigger_id !== "string") return { ok: false, error: "invalid_trigger_id" };
        return { ok: true, view: { id: `V${tsCounter++}`, ...(body.view as object) } };
      case "apps.connections.open": {
        if (!appTokens.has(token ?? "")) return { ok: false, error: /^xox[bp]-/.test(token ?? "") ? "not_allowed_token_type" : "invalid_auth" };
        const ticket = randomUUID();
        tickets.add(ticket);
        return { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${APP_ID}` };
      }
      case "usergroups.users.list": {
        const members = groups.get(String(body.usergroup));
        return members ? { ok: true, users: members } : { ok: false, error: "no_such_subteam" };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  // ---- Socket Mode: the WebSocket side, on the same port ----
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, autoPong: true });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        const message = tryJson(data.toString()) as { envelope_id?: unknown } | string;
        if (typeof message !== "object" || message === null || typeof message.envelope_id !== "string") return;
        acks.add(message.envelope_id);
        arrivals.emit("ack");
      });
      ws.on("close", () => {
        sockets.splice(sockets.indexOf(ws), 1);
        arrivals.emit("socket_closed");
      });
      ws.on("error", () => {});
      hellos++;
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: sockets.length,
          debug_info: { host: "applink-standin", build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: APP_ID },
        }),
      );
      arrivals.emit("hello");
    });
  });

  /** Resolves when `isDone()` holds, re-checked on each `event`; rejects with `describe()` after timeoutMs. */
  function until(event: string, isDone: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (isDone()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!isDone()) return;
        clearTimeout(timer);
        arrivals.off(event, check);
        resolve();
      };
      const timer = setTimeout(() => {
        arrivals.off(event, check);
        reject(new Error(describe()));
      }, timeoutMs);
      arrivals.on(event, check);
    });
  }

  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    setGroupMembers: (groupId, members) => void groups.set(groupId, members),
    failNext: (method, count, failure = { kind: "error", error: "ratelimited" }) => void failures.set(method, { count, failure }),
    waitFor(method, predicate = () => true, timeoutMs = 5_000) {
      const methods = [method].flat();
      const matches = (call: SlackApiCall) => methods.includes(call.method) && predicate(call);
      const seen = calls.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const onCall = (call: SlackApiCall) => {
          if (!matches(call)) return;
          clearTimeout(timer);
          arrivals.off("call", onCall);
          resolve(call);
        };
        const timer = setTimeout(() => {
          arrivals.off("call", onCall);
          reject(new Error(`no ${methods.join(" or ")} call arrived within ${timeoutMs} ms (calls: ${calls.map((c) => c.method).join(", ") || "none"})`));
        }, timeoutMs);
        arrivals.on("call", onCall);
      });
    },
    socketConnections: () => sockets.length,
    waitForSocketsClosed: (timeoutMs = 5_000) =>
      until("socket_closed", () => sockets.length === 0, timeoutMs, () => `${sockets.length} Socket Mode connection(s) still open after ${timeoutMs} ms`),
    waitForSocketHello: (count = 1, timeoutMs = 5_000) =>
      until("hello", () => hellos >= count, timeoutMs, () => `${hellos} of ${count} Socket Mode connection(s) greeted within ${timeoutMs} ms`),
    deliverInteractive(payload, timeoutMs = 5_000) {
      const ws = sockets.at(-1);
      if (!ws) return Promise.reject(new Error("no open Socket Mode connection to deliver to"));
      const envelopeId = randomUUID();
      const delivered = until("ack", () => acks.has(envelopeId), timeoutMs, () => `envelope ${envelopeId} was not acknowledged within ${timeoutMs} ms`);
      ws.send(JSON.stringify({ envelope_id: envelopeId, type: "interactive", accepts_response_payload: payload.type === "view_submission", payload }));
      return delivered;
    },
    requestReconnect(reason = "refresh_requested") {
      for (const ws of sockets) ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-standin" } }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of [...sockets]) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(contentType: string, text: string): Record<string, unknown> {
  if (contentType.includes("application/json")) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) out[key] = /^[[{]/.test(value) ? tryJson(value) : value;
  return out;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

// ---- Requests Slack sends to us ------------------------------------------------------------------

export function signSlackRequest(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
  return { "x-slack-signature": signature, "x-slack-request-timestamp": String(timestamp) };
}

/** Where a posted message is, from the stand-in's answer to chat.postMessage. */
export function postedMessageRef(call: SlackApiCall): SlackMessageRef {
  const { channel, ts } = call.response as { channel?: unknown; ts?: unknown };
  if (call.method !== "chat.postMessage" || typeof channel !== "string" || typeof ts !== "string") throw new Error(`not a posted message: ${call.method}`);
  return { channel, ts };
}

export interface Clicker {
  userId: string;
  teamId?: string;
  /** The message the button is on (for a click that counts: the one posted for the approval). */
  message: SlackMessageRef;
}

/**
 * A block_actions payload for a click on a button of a message, shaped as Slack sends it: the message is named by
 * `container` (type, message_ts, channel_id) and again by `channel.id` and `message.ts`.
 */
export function buttonClickPayload(actionId: string, approvalId: string, clicker: Clicker): Record<string, unknown> {
  const teamId = clicker.teamId ?? TEAM_ID;
  const { channel: channelId, ts: messageTs } = clicker.message;
  return {
    type: "block_actions",
    api_app_id: "A0GATEHOUSE",
    token: "legacy-verification-token",
    team: { id: teamId, domain: "gatehouse-test" },
    user: { id: clicker.userId, username: clicker.userId.toLowerCase(), name: clicker.userId.toLowerCase(), team_id: teamId },
    enterprise: null,
    is_enterprise_install: false,
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    response_url: `https://hooks.slack.invalid/actions/${teamId}/1/${randomUUID()}`,
    container: { type: "message", message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    channel: { id: channelId, name: "approvals" },
    message: { type: "message", ts: messageTs, bot_id: "B0GATEBOT", text: "Approval needed", blocks: [] },
    state: { values: {} },
    actions: [
      {
        type: "button",
        action_id: actionId,
        block_id: "gatehouse_decision",
        text: { type: "plain_text", text: actionId, emoji: true },
        value: approvalId,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

/** The private_metadata of the modal the app opened (from its views.open call). */
export function openedModalMetadata(call: SlackApiCall): string {
  return (call.body.view as { private_metadata: string }).private_metadata;
}

/** A view_submission payload for the deny-reason modal; `privateMetadata` is what the app put in the modal it opened. */
export function denyReasonSubmissionPayload(privateMetadata: string, reason: string, clicker: Omit<Clicker, "message">): Record<string, unknown> {
  const teamId = clicker.teamId ?? TEAM_ID;
  return {
    type: "view_submission",
    api_app_id: "A0GATEHOUSE",
    token: "legacy-verification-token",
    team: { id: teamId, domain: "gatehouse-test" },
    user: { id: clicker.userId, username: clicker.userId.toLowerCase(), name: clicker.userId.toLowerCase(), team_id: teamId },
    enterprise: null,
    is_enterprise_install: false,
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    response_urls: [],
    view: {
      id: "V0DENYREASON",
      team_id: teamId,
      type: "modal",
      callback_id: "gatehouse_deny_reason_modal",
      private_metadata: privateMetadata,
      hash: "1700000000.abcdef",
      title: { type: "plain_text", text: "Deny tool call" },
      blocks: [],
      state: { values: { reason: { reason_input: { type: "plain_text_input", value: reason } } } },
      app_id: "A0GATEHOUSE",
      bot_id: "B0GATEBOT",
    },
  };
}

export function formEncodePayload(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface PostOptions {
  secret: string;
  timestamp?: number;
  contentType?: string;
  /** Headers replacing the computed signature headers (e.g. a bad signature). */
  headers?: Record<string, string>;
  /** Sign this body but send `rawBody` (tampering). */
  signedBody?: string;
}

export async function postSignedSlackRequest(baseUrl: string, rawBody: string, options: PostOptions): Promise<{ status: number; body: unknown; text: string }> {
  const headers = {
    "content-type": options.contentType ?? "application/x-www-form-urlencoded",
    ...signSlackRequest(options.secret, options.signedBody ?? rawBody, options.timestamp),
    ...options.headers,
  };
  const response = await fetch(`${baseUrl}/slack/events`, { method: "POST", headers, body: rawBody });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: response.status, body, text };
}

/** Posts an interaction payload form-encoded and signed, as Slack does. */
export function postInteraction(baseUrl: string, payload: unknown, options: PostOptions) {
  return postSignedSlackRequest(baseUrl, formEncodePayload(payload), options);
}

// ---- Approvals to render -------------------------------------------------------------------------

export function approvalFixture(overrides: Partial<Approval> = {}): Approval {
  const createdAt = new Date("2025-06-01T12:00:00Z");
  return {
    id: "6f1c1c1e-3b7a-4d8e-9a55-0c2b8f1e2d3a",
    callId: "0d7d1f0a-7a0e-4f55-8f7a-5b9e2d1c3b4a",
    status: "pending",
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
    upstream: "smartlead",
    tool: "smartlead_reconnect_failed_email_accounts",
    exposedTool: "smartlead__smartlead_reconnect_failed_email_accounts",
    argsSealed: null,
    argsRedacted: { campaign_id: 42 },
    argsHash: "a".repeat(64),
    grantName: "outreach-agent",
    grantOwner: null,
    sessionId: "sess-1234",
    rule: "/tools/smartlead_reconnect_failed_email_accounts",
    reason: null,
    spec: { channel: "C0APPROVALS", approvers: [], minApprovals: 1, allowSelfApproval: false, wait: "hold", timeout: "15m" },
    holdMode: "hold",
    agent: { isWaiting: true, returns: 0, lastSeenAt: null },
    version: 1,
    slackVersion: null,
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
    slackChannel: null,
    slackTs: null,
    result: null,
    error: null,
    executedAt: null,
    finishedAt: null,
    durationMs: null,
    votes: [],
    ...overrides,
  };
}

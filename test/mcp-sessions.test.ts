// MCP sessions that clients abandon: closed after limits.sessionIdleSeconds without an open request or
// event stream, bounded per grant by limits.maxSessionsPerGrant, each with the reason it closed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { McpSession } from "../src/http/mcp-sessions.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, smartlead_reconnect_failed_email_accounts: {} } };

function rawClient(gw: TestGateway, token: string) {
  const headers = (sessionId?: string) => ({ ...MCP_HEADERS, authorization: `Bearer ${token}`, ...(sessionId ? { "mcp-session-id": sessionId } : {}) });
  return {
    async initialize(): Promise<Response & { sessionId: string | null; text: string }> {
      const response = await fetch(`${gw.url}/mcp`, { method: "POST", headers: headers(), body: JSON.stringify(INIT) });
      const text = await response.text();
      const sessionId = response.headers.get("mcp-session-id");
      if (sessionId) {
        const initialized = await fetch(`${gw.url}/mcp`, { method: "POST", headers: headers(sessionId), body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
        await initialized.body?.cancel();
      }
      return Object.assign(response, { sessionId, text });
    },
    post: (sessionId: string, body: unknown, signal?: AbortSignal) => fetch(`${gw.url}/mcp`, { method: "POST", headers: headers(sessionId), body: JSON.stringify(body), signal }),
    openEventStream: (sessionId: string, signal: AbortSignal) =>
      fetch(`${gw.url}/mcp`, { method: "GET", headers: { ...headers(sessionId), accept: "text/event-stream" }, signal }),
    delete: (sessionId: string) => fetch(`${gw.url}/mcp`, { method: "DELETE", headers: headers(sessionId) }),
  };
}

/** Resolves when the session closes, with the session as the registry saw it. */
function closed(gw: TestGateway, sessionId: string): Promise<McpSession> {
  return new Promise((resolve) => {
    const unsubscribe = gw.instance.mcp!.onSessionClosed((session) => {
      if (session.id !== sessionId) return;
      unsubscribe();
      resolve(session);
    });
  });
}

const isOpen = (gw: TestGateway, sessionId: string) => gw.instance.mcp!.sessions().some((s) => s.id === sessionId);

describe(`idle MCP sessions (${storageLabel()})`, () => {
  let gw: TestGateway;
  let raw: ReturnType<typeof rawClient>;

  before(async () => {
    gw = await startTestGateway({
      upstreams: { smartlead: { ...DEMO_UPSTREAM, env: { SMARTLEAD_STEP_DELAY_MS: "1500" } } },
      policies: { smartlead: POLICY },
      extraConfig: { limits: { sessionIdleSeconds: 0.3 } },
    });
    raw = rawClient(gw, await gw.createToken("idle-agent"));
  });
  after(() => gw.close());

  it("closes a session left idle, with reason idle; its id then gets 404 Session not found", async () => {
    const { sessionId } = await raw.initialize();
    assert.ok(sessionId);
    assert.ok(isOpen(gw, sessionId));
    const reaped = await closed(gw, sessionId);
    assert.equal(reaped.closeReason, "idle");
    assert.equal(isOpen(gw, sessionId), false);
    const late = await raw.post(sessionId, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    assert.equal(late.status, 404);
    assert.match(((await late.json()) as { error: { message: string } }).error.message, /^Session not found: /);
  });

  it("keeps a session with an open GET event stream, and closes it once the stream ends", async () => {
    const streaming = await raw.initialize();
    const idle = await raw.initialize();
    const stream = new AbortController();
    const events = await raw.openEventStream(streaming.sessionId!, stream.signal);
    assert.equal(events.status, 200);
    const streamingClosed = closed(gw, streaming.sessionId!);
    await closed(gw, idle.sessionId!); // the session without a stream is reaped meanwhile
    assert.ok(isOpen(gw, streaming.sessionId!), "the session with a stream is not idle");
    stream.abort();
    assert.equal((await streamingClosed).closeReason, "idle");
  });

  it("keeps a session with a request in flight, and answers that request", async () => {
    const busy = await raw.initialize();
    const idle = await raw.initialize();
    const call = raw.post(busy.sessionId!, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [502] } } });
    const busyClosed = closed(gw, busy.sessionId!);
    await closed(gw, idle.sessionId!);
    assert.ok(isOpen(gw, busy.sessionId!), "a session with a call in flight is not idle");
    const answer = await (await call).text();
    assert.match(answer, /reconnected_count/);
    assert.equal((await busyClosed).closeReason, "idle");
  });
});

describe(`MCP sessions per grant (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { limits: { maxSessionsPerGrant: 3 } },
    });
    token = await gw.createToken("cap-agent");
  });
  after(() => gw.close());

  it("answers an initialize over the cap with 429 naming the cap, the grant and what to do; nothing else breaks", async () => {
    const raw = rawClient(gw, token);
    const open = await Promise.all([raw.initialize(), raw.initialize(), raw.initialize()]);
    assert.deepEqual(open.map((r) => r.status), [200, 200, 200]);
    const refused = await raw.initialize();
    assert.equal(refused.status, 429);
    assert.equal(refused.sessionId, null);
    assert.deepEqual(JSON.parse(refused.text), {
      jsonrpc: "2.0",
      id: 1,
      error: {
        code: -32000,
        message:
          'Too many open MCP sessions for grant "cap-agent": the limit is 3 (limits.maxSessionsPerGrant). End sessions you no longer use ' +
          "(HTTP DELETE /mcp with their mcp-session-id header), reuse an open one, or wait: a session with no request for 1800 s is closed (limits.sessionIdleSeconds).",
      },
    });

    const list = await raw.post(open[0]!.sessionId!, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    assert.equal(list.status, 200, "open sessions keep working");
    assert.match(await list.text(), /smartlead_get_campaign/);
    const other = await rawClient(gw, await gw.createToken("other-agent")).initialize();
    assert.equal(other.status, 200, "another grant has its own count");

    const ended = closed(gw, open[1]!.sessionId!);
    assert.equal((await raw.delete(open[1]!.sessionId!)).status, 200);
    assert.equal((await ended).closeReason, "deleted");
    const again = await raw.initialize();
    assert.equal(again.status, 200, "a DELETE frees a slot");
  });

  it("closes every open session with reason shutdown when the gateway stops", async () => {
    const reasons: (string | null)[] = [];
    gw.instance.mcp!.onSessionClosed((session) => reasons.push(session.closeReason));
    const count = gw.instance.mcp!.sessionCount();
    assert.ok(count >= 4);
    await gw.instance.close();
    assert.deepEqual(reasons, Array.from({ length: count }, () => "shutdown"));
    assert.equal(gw.instance.mcp!.sessionCount(), 0);
  });
});

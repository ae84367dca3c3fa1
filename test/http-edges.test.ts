// What a client or operator sees at the HTTP edge: auth failures, malformed and oversize bodies,
// unknown sessions, health, metrics, the admin API, and policy hot reload keeping the last good policy.
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe(`HTTP edges (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: { version: "1", default: "deny", tools: { "smartlead_get_*": {} } } },
      extraConfig: { limits: { maxBodyBytes: 4096 } },
    });
    token = await gw.createToken("edge-agent");
  });
  after(() => gw.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...headers }, body });

  it("answers 401 to a missing, unknown or revoked token", async () => {
    const missing = await fetch(`${gw.url}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INIT) });
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get("www-authenticate") ?? "", /Bearer/);
    assert.equal((await post(JSON.stringify(INIT), { authorization: "Bearer ghk_not-a-real-token" })).status, 401);

    const revokedToken = await gw.createToken("soon-revoked");
    const before = await post(JSON.stringify(INIT), { authorization: `Bearer ${revokedToken}` });
    assert.equal(before.status, 200);
    await before.body?.cancel();
    assert.equal(await gw.instance.grants.revoke("soon-revoked"), true);
    const afterRevoke = await post(JSON.stringify(INIT), { authorization: `Bearer ${revokedToken}` });
    assert.equal(afterRevoke.status, 401);
  });

  it("answers malformed JSON with a JSON-RPC parse error and HTTP 400", async () => {
    const response = await post("{ this is not json");
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: number; message: string } };
    assert.equal(body.error.code, -32700);
  });

  it("answers JSON that is not JSON-RPC with a JSON-RPC error and HTTP 400", async () => {
    const response = await post(JSON.stringify({ hello: "world" }));
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: number } };
    assert.ok(body.error.code < 0);
  });

  it("answers an oversize body with HTTP 413", async () => {
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, padding: "x".repeat(10_000) } });
    const response = await post(big);
    assert.equal(response.status, 413);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /exceeds the limit of 4096 bytes/);
  });

  it("answers an unknown session with 404 and a request without a session with 400", async () => {
    const unknown = await post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), { "mcp-session-id": "nope" });
    assert.equal(unknown.status, 404);
    const noSession = await post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    assert.equal(noSession.status, 400);
  });

  it("refuses a session id presented with another grant's token", async () => {
    const init = await post(JSON.stringify(INIT));
    const sessionId = init.headers.get("mcp-session-id");
    await init.body?.cancel();
    assert.ok(sessionId);
    const otherToken = await gw.createToken("other-agent");
    const hijack = await post(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }), { "mcp-session-id": sessionId, authorization: `Bearer ${otherToken}` });
    assert.equal(hijack.status, 403);
  });

  it("answers an open session's malformed, oversize and unauthenticated requests as it answers them without a session", async () => {
    // An open session's POST is read before express (src/http/mcp.ts); every refusal must read the same.
    const init = await post(JSON.stringify(INIT));
    const sessionId = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();
    const session = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" };
    const answerOf = async (response: Response) => ({ status: response.status, type: response.headers.get("content-type"), body: (await response.json()) as unknown });

    const parseError = { status: 400, type: "application/json; charset=utf-8", body: { jsonrpc: "2.0", error: { code: -32700, message: "Parse error: the request body is not valid JSON" }, id: null } };
    assert.deepEqual(await answerOf(await post("{ this is not json")), parseError);
    assert.deepEqual(await answerOf(await post("{ this is not json", session)), parseError);
    assert.deepEqual(await answerOf(await post("42", session)), parseError, "JSON that is not an object or array, as express's strict parser");
    assert.deepEqual(await answerOf(await post(`  \n "a string"`, session)), parseError);

    const big = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list", params: { padding: "x".repeat(10_000) } });
    const oversize = await answerOf(await post(big, session));
    assert.equal(oversize.status, 413);
    assert.match(JSON.stringify(oversize.body), /exceeds the limit of 4096 bytes/);

    const list = JSON.stringify({ jsonrpc: "2.0", id: 10, method: "tools/list" });
    const anonymous = await fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...MCP_HEADERS, ...session }, body: list });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /Bearer/);
    await anonymous.body?.cancel();

    const listed = await post(list, session);
    assert.equal(listed.status, 200);
    assert.match(await listed.text(), /^event: message\ndata: \{"result":\{"tools":\[.*"id":10\}\n\n$/s);
  });

  it("answers a plain request of an open session in one frame, as the SDK's transport frames the same request in a batch", async () => {
    const init = await post(JSON.stringify(INIT));
    const sessionId = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();
    const session = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" };
    assert.equal((await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), session)).status, 202);
    const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "smartlead_get_campaign", arguments: { campaign_id: 7 } } });
    const messagesOf = (text: string) => text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)) as { id: number; result?: { isError?: boolean } });

    const direct = await post(JSON.stringify(call(2)), session);
    assert.equal(direct.status, 200);
    assert.equal(direct.headers.get("content-type"), "text/event-stream");
    assert.equal(direct.headers.get("mcp-session-id"), sessionId);
    assert.ok(direct.headers.get("content-length"), "a quick answer leaves with its headers in one piece, not chunked");
    const directText = await direct.text();
    assert.match(directText, /^event: message\ndata: \{.*\}\n\n$/s);
    const [answer] = messagesOf(directText);

    const batched = await post(JSON.stringify([call(3)]), session); // a batch takes the SDK's transport
    assert.equal(batched.headers.get("content-type"), "text/event-stream");
    const batchedText = await batched.text();
    const [sdkAnswer] = messagesOf(batchedText);
    assert.deepEqual([answer!.id, sdkAnswer!.id], [2, 3]);
    assert.match(JSON.stringify(answer!.result), /Campaign 7 not found/, "the upstream's own answer");
    assert.deepEqual(stripCallId(answer!.result), stripCallId(sdkAnswer!.result));

    // What the SDK's transport refuses is still refused by it.
    const badVersion = await post(JSON.stringify(call(4)), { ...session, "mcp-protocol-version": "1999-01-01" });
    assert.equal(badVersion.status, 400);
    assert.match(await badVersion.text(), /Unsupported protocol version: 1999-01-01/);
    const jsonOnly = await post(JSON.stringify(call(5)), { ...session, accept: "application/json" });
    assert.equal(jsonOnly.status, 406);
    await jsonOnly.body?.cancel();
  });

  it("serves health, readiness and Prometheus metrics", async () => {
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 200);
    const report = (await ready.json()) as { database: string; policies: Array<{ isLoaded: boolean }> };
    assert.equal(report.database, "ok");
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /gatehouse_upstream_up\{upstream="smartlead"\} 1/);
  });

  it("keeps an idle client connection open 65 s (Keep-Alive: timeout=65), longer than clients keep theirs", async () => {
    const { request } = await import("node:http");
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      request(`${gw.url}/healthz`, { headers: { connection: "keep-alive" } }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on("error", reject)
        .end();
    });
    assert.equal(headers["keep-alive"], "timeout=65");
  });

  it("protects the admin API with the admin token", async () => {
    assert.equal((await fetch(`${gw.url}/api/audit`)).status, 401);
    const response = await fetch(`${gw.url}/api/audit?limit=5`, { headers: { authorization: "Bearer admin-token-for-tests" } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { rows: unknown[] };
    assert.ok(Array.isArray(body.rows));
    const bad = await fetch(`${gw.url}/api/audit?limit=abc`, { headers: { authorization: "Bearer admin-token-for-tests" } });
    assert.equal(bad.status, 400);
  });

  it("answers absurd or impossible audit times with 400 and says what is accepted", async () => {
    const cases: [string, RegExp][] = [
      ["since=99999999d", /"99999999d" reaches back before 1970-01-01: use a duration such as 30m/],
      ["until=99999999999999999999999w", /reaches back before 1970-01-01/],
      ["since=0001-01-01", /"0001-01-01" is out of range: times must fall between 1970-01-01 and 9999-12-31/],
      ["until=2025-02-30T00:00:00Z", /"2025-02-30T00:00:00Z" is not a valid date and time/],
      ["since=tomorrow", /Cannot read "tomorrow" as a time/],
    ];
    for (const [query, detail] of cases) {
      const response = await fetch(`${gw.url}/api/audit?${query}`, { headers: { authorization: "Bearer admin-token-for-tests" } });
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { title: string; detail: string };
      assert.equal(body.title, "invalid_query");
      assert.match(body.detail, detail);
    }
  });

  it("applies a policy edit without restart, tells clients the tool list changed, and keeps the last good policy when an edit is invalid", async () => {
    const client = await gw.connect(token);
    const call = () => client.callTool({ name: "smartlead_list_campaigns", arguments: {} });
    assert.equal((await call()).isError, true, "not allowed by the first policy");

    const listChanged = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    const file = `${gw.dir}/smartlead.policy.json`;
    const reloaded = nextPolicyEvent(gw, "reloaded");
    await writeFile(file, JSON.stringify({ version: "1", default: "deny", tools: { "smartlead_get_*": {}, smartlead_list_campaigns: {} } }));
    await reloaded;
    await listChanged; // connected clients are told to list tools again
    assert.ok((await client.listTools()).tools.some((t) => t.name === "smartlead_list_campaigns"));
    const allowed = await call();
    assert.equal(allowed.isError, undefined, textOf(allowed));

    const rejected = nextPolicyEvent(gw, "error");
    await writeFile(file, JSON.stringify({ version: "1", default: "maybe", tools: {} }));
    await rejected;
    assert.equal((await call()).isError, undefined, "last good policy still applies");
    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 503);
    const report = (await ready.json()) as { policies: Array<{ errors: string[] | null }> };
    assert.match(report.policies[0]?.errors?.join("\n") ?? "", /\/default/);
  });
});

function nextPolicyEvent(gw: TestGateway, type: "reloaded" | "error"): Promise<unknown> {
  return once(gw.instance.events, `policy.${type}`);
}

/** A tool result without the per-call id Gatehouse puts in `_meta` (two calls never share one). */
function stripCallId(result: unknown): unknown {
  return JSON.parse(JSON.stringify(result), (key, value: unknown) => (key.endsWith("call_id") ? undefined : value));
}

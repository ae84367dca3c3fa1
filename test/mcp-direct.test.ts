// The direct path for plain requests of an open session (src/http/mcp-direct.ts), on the SDK's own
// server and transport: what an event-stream client sees on a slow request's stream. A `: keepalive`
// comment fills every silence of keepAliveMs (undici's body timeout and idle proxies close a silent
// stream), and a stream that already carries progress (a held call's heartbeats) gets none.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { serveDirectly } from "../src/http/mcp-direct.ts";

const KEEP_ALIVE_MS = 200;
/** Long enough for several keep-alive periods. */
const SLOW_MS = 1_000;

let server: Server;
let url: string;
let sessionId: string;

before(async () => {
  const mcp = new McpServer({ name: "direct-test", version: "1.0.0" });
  mcp.registerTool("silent", { inputSchema: { ms: z.number() } }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: "text", text: "done" }] };
  });
  mcp.registerTool("chatty", { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    const token = extra._meta?.progressToken;
    assert.ok(token !== undefined);
    // Progress more often than the keep-alive period, like a held call's heartbeats.
    for (let progress = 1; progress * (KEEP_ALIVE_MS / 4) <= ms; progress++) {
      await new Promise((resolve) => setTimeout(resolve, KEEP_ALIVE_MS / 4));
      await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress } });
    }
    return { content: [{ type: "text", text: "done" }] };
  });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => "session-1" });
  const direct = serveDirectly(transport, { keepAliveMs: KEEP_ALIVE_MS });
  await mcp.connect(transport);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      if (!direct.serve(req, res, body)) void transport.handleRequest(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const init = await post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "t", version: "1" } } });
  sessionId = init.headers.get("mcp-session-id")!;
  await init.text();
  const initialized = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  await initialized.text();
});

after(() => server.close());

function post(body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(sessionId && { "mcp-session-id": sessionId, "mcp-protocol-version": LATEST_PROTOCOL_VERSION }) },
    body: JSON.stringify(body),
  });
}

async function callTool(name: string, withProgress: boolean): Promise<string> {
  const res = await post({ jsonrpc: "2.0", id: name, method: "tools/call", params: { name, arguments: { ms: SLOW_MS }, ...(withProgress && { _meta: { progressToken: name } }) } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  return res.text();
}

test("a silent slow request's stream gets a keep-alive comment after each silence of keepAliveMs", async () => {
  const stream = await callTool("silent", false);
  const comments = stream.match(/^: keepalive$/gm) ?? [];
  // 1,000 ms of silence, one comment per 200 ms of it (the first after the headers at 200 ms).
  assert.ok(comments.length >= 2, `expected keep-alive comments in:\n${stream}`);
  assert.match(stream, /"text":"done"/);
});

test("a stream carrying progress more often than keepAliveMs gets no keep-alive comment", async () => {
  const stream = await callTool("chatty", true);
  assert.ok((stream.match(/notifications\/progress/g) ?? []).length >= 10, stream);
  assert.doesNotMatch(stream, /: keepalive/);
  assert.match(stream, /"text":"done"/);
});

// A plain tools/call of an open session answered without the SDK's Protocol (src/http/mcp-direct.ts):
// over raw HTTP, the client sees what the SDK's Protocol would have sent — progress then the result on
// the request's stream, a handler's error as the same JSON-RPC error, nothing after a cancel — and the
// calls the SDK must answer (a task, a request its schema refuses) still reach it.
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ErrorCode, LATEST_PROTOCOL_VERSION, McpError, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { serveDirectly } from "../src/http/mcp-direct.ts";
import type { ToolCallHandler } from "../src/proxy/index.ts";

let http: HttpServer;
let url: string;
let sessionId: string;
let transport: StreamableHTTPServerTransport;
/** What each `wait` call saw: its signal's reason once aborted. */
const aborted: unknown[] = [];
let abortedNow: (() => void) | null = null;

const direct: ToolCallHandler = async (request, extra) => {
  switch (request.params.name) {
    case "progress":
      for (const progress of [1, 2]) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: request.params._meta!.progressToken!, progress } });
      return { content: [{ type: "text", text: `direct ${String(extra.requestId)} in ${extra.sessionId}` }] };
    case "wait":
      await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve(), { once: true }));
      aborted.push(extra.signal.reason);
      abortedNow?.();
      return { content: [{ type: "text", text: "answered after the cancel" }] };
    case "refuse":
      throw new McpError(ErrorCode.InvalidParams, "bad arguments", { field: "message" });
    default:
      throw new Error("boom");
  }
};

before(async () => {
  const server = new Server({ name: "direct-calls", version: "1" }, { capabilities: { tools: {} } });
  // What the SDK's Protocol answers: only calls the direct path hands it reach this handler.
  server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: "text", text: "answered by the SDK" }] }));
  transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => "session-1" });
  const requests = serveDirectly(transport, { toolCalls: direct });
  await server.connect(transport);
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      if (!requests.serve(req, res, body)) void transport.handleRequest(req, res, body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  const init = await post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "t", version: "1" } } });
  sessionId = init.headers.get("mcp-session-id")!;
  await init.text();
  await (await post({ jsonrpc: "2.0", method: "notifications/initialized" })).text();
});

after(() => http.close());

function post(body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(sessionId && { "mcp-session-id": sessionId, "mcp-protocol-version": LATEST_PROTOCOL_VERSION }) },
    body: JSON.stringify(body),
  });
}

/** The JSON-RPC messages of an event-stream response, in order. */
async function messagesOf(res: Response): Promise<JSONRPCMessage[]> {
  assert.equal(res.status, 200);
  const text = await res.text();
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as JSONRPCMessage);
}

const call = (id: string | number, name: string, extra: Record<string, unknown> = {}) =>
  post({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {}, ...extra } });

test("progress the handler sends goes out on the call's stream before its result, with the request and session ids it was given", async () => {
  const messages = await messagesOf(await call("p-1", "progress", { _meta: { progressToken: "tok" } }));
  assert.deepEqual(messages, [
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: 1 } },
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: 2 } },
    { jsonrpc: "2.0", id: "p-1", result: { content: [{ type: "text", text: "direct p-1 in session-1" }] } },
  ]);
});

test("a handler's McpError is answered as that JSON-RPC error, data included; any other error as an internal error", async () => {
  assert.deepEqual(await messagesOf(await call(7, "refuse")), [{ jsonrpc: "2.0", id: 7, error: { code: ErrorCode.InvalidParams, message: "MCP error -32602: bad arguments", data: { field: "message" } } }]);
  assert.deepEqual(await messagesOf(await call(8, "crash")), [{ jsonrpc: "2.0", id: 8, error: { code: ErrorCode.InternalError, message: "boom" } }]);
});

test("a client's cancel aborts the call with its reason (request id 0 too), and nothing is answered", async () => {
  const cancelled = new Promise<void>((resolve) => (abortedNow = resolve));
  const pending = call(0, "wait");
  // The call's stream shows its headers after 0.2 s; the cancel goes once the call is running.
  const res = await pending;
  assert.equal((await post({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 0, reason: "the user pressed stop" } })).status, 202);
  await cancelled;
  assert.equal(aborted.at(-1), "the user pressed stop");
  assert.deepEqual(await messagesOf(res), [], "the stream ends with no answer");
});

test("calls the direct path does not take reach the SDK: one asking for a task or belonging to one, one the SDK's schema refuses", async () => {
  const malformed = await messagesOf(await post({ jsonrpc: "2.0", id: "m", method: "tools/call", params: { name: 42 } }));
  // The SDK's own answer to it: its schema's complaint.
  assert.match(JSON.stringify(malformed), /"id":"m","error":\{"code":-32603,"message":".*expected string, received number/);
  const plain = await messagesOf(await call("sdk-check", "progress", { _meta: { progressToken: 1 } }));
  assert.match(JSON.stringify(plain.at(-1)), /direct sdk-check/, "a plain call is answered directly");
  const related = await messagesOf(await call("r", "progress", { _meta: { "io.modelcontextprotocol/related-task": { taskId: "t" } } }));
  assert.match(JSON.stringify(related.at(-1)), /answered by the SDK/, "a call belonging to a task goes to the SDK");
  // This server runs no tasks: the SDK refuses the request for one.
  const task = await messagesOf(await call("t", "progress", { task: { ttl: 1000 } }));
  assert.match(JSON.stringify(task.at(-1)), /Server does not support task creation/);
});

test("closing the session aborts the calls answered directly", async () => {
  const cancelled = new Promise<void>((resolve) => (abortedNow = resolve));
  const res = await call("w-2", "wait");
  const before = aborted.length;
  await transport.close();
  await cancelled;
  assert.equal(aborted.length, before + 1);
  assert.deepEqual(await messagesOf(res), []);
});

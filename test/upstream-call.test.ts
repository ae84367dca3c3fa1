// `tools/call` to a Streamable HTTP upstream goes past the SDK client (src/proxy/upstream-call.ts). The
// upstream here is the SDK's own server with an event store, so it streams progress, can close a call's
// stream for the client to resume, and records what the gateway sent it: what an agent sees must be what
// it saw when the SDK client sent every call.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { InMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";
import { CallToolResultSchema, type ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

interface StreamingUpstream {
  url: string;
  /** `<tool>: <reason>` for each call the gateway cancelled (its notifications/cancelled reason). */
  cancelled: string[];
  /** How many GET requests resumed a stream with Last-Event-ID. */
  resumed: number;
  /** Answer the next POSTed tools/call with this HTTP status and body instead of running it. */
  failNextCall: { status: number; body: string } | null;
  /** Start the next POSTed tools/call's event stream (one progress event, no event id), then cut the connection. */
  dropNextCall: boolean;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startStreamingUpstream(): Promise<StreamingUpstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const upstream: StreamingUpstream = { url: "", cancelled: [], resumed: 0, failNextCall: null, dropNextCall: false, close: async () => {} };

  function mcpServer(): McpServer {
    const server = new McpServer({ name: "streaming", version: "1" });
    const progress = (extra: { _meta?: { progressToken?: string | number }; sendNotification(n: ServerNotification): Promise<void> }, step: number, message: string) =>
      extra._meta?.progressToken === undefined
        ? Promise.resolve()
        : extra.sendNotification({ method: "notifications/progress", params: { progressToken: extra._meta.progressToken, progress: step, message } });
    server.registerTool("steps", { inputSchema: { count: z.number(), everyMs: z.number() } }, async ({ count, everyMs }, extra) => {
      for (let step = 1; step <= count; step++) {
        await sleep(everyMs);
        await progress(extra, step, `step ${step}`);
      }
      return { content: [{ type: "text", text: `done after ${count} steps` }] };
    });
    server.registerTool("quiet", { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
      extra.signal.addEventListener("abort", () => upstream.cancelled.push(`quiet: ${String(extra.signal.reason)}`), { once: true });
      await sleep(ms);
      return { content: [{ type: "text", text: "late" }] };
    });
    server.registerTool("wait", {}, async (extra) => {
      await progress(extra, 1, "waiting");
      await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve(), { once: true }));
      upstream.cancelled.push(`wait: ${String(extra.signal.reason)}`);
      return { content: [{ type: "text", text: "cancelled" }] };
    });
    server.registerTool("resume", {}, async (extra) => {
      await progress(extra, 1, "before the break");
      extra.closeSSEStream?.();
      await sleep(100);
      await progress(extra, 2, "after the break");
      return { content: [{ type: "text", text: "answered on the resumed stream" }] };
    });
    server.registerTool("odd", {}, async () => ({ content: [{ type: "text", text: "odd" }], structuredContent: { n: 1 }, extra: "kept" }) as never);
    return server;
  }

  const readBody = async (req: IncomingMessage) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  };

  const http: Server = createServer(async (req, res) => {
    if (req.url === "/moved") {
      res.writeHead(307, { location: "/mcp" }).end();
      return;
    }
    if (req.method === "GET" && req.headers["last-event-id"]) upstream.resumed += 1;
    const body = req.method === "POST" ? await readBody(req) : undefined;
    if (upstream.failNextCall && (body as { method?: string } | undefined)?.method === "tools/call") {
      const { status, body: text } = upstream.failNextCall;
      upstream.failNextCall = null;
      res.writeHead(status, { "content-type": "text/plain" }).end(text);
      return;
    }
    const call = body as { method?: string; params?: { _meta?: { progressToken?: unknown } } } | undefined;
    if (upstream.dropNextCall && call?.method === "tools/call") {
      upstream.dropNextCall = false;
      res.writeHead(200, { "content-type": "text/event-stream" });
      const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: call.params?._meta?.progressToken, progress: 1, message: "started" } };
      res.write(`event: message\ndata: ${JSON.stringify(progress)}\n\n`, () => res.socket?.destroy());
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        eventStore: new InMemoryEventStore(),
        onsessioninitialized: (id) => void transports.set(id, created),
      });
      await mcpServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  upstream.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  upstream.close = async () => {
    for (const transport of transports.values()) await transport.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  };
  return upstream;
}

const ALLOW_ALL = { version: "1", default: "allow" };

describe(`tools/call to an HTTP upstream past the SDK client (${storageLabel()})`, () => {
  let upstream: StreamingUpstream;
  let gw: TestGateway;
  let client: Awaited<ReturnType<TestGateway["connect"]>>;

  before(async () => {
    upstream = await startStreamingUpstream();
    gw = await startTestGateway({
      upstreams: {
        streaming: { url: upstream.url, timeoutMs: 1_000 },
        moved: { url: upstream.url.replace(/\/mcp$/, "/moved") },
      },
      policies: { streaming: ALLOW_ALL, moved: ALLOW_ALL },
    });
    client = await gw.connect(await gw.createToken("agent"));
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it("relays the upstream's progress in order, and progress keeps a call alive past timeoutMs", async () => {
    const seen: string[] = [];
    // 6 steps 300 ms apart: 1.8 s in all, longer than the upstream's 1 s timeoutMs, never 1 s silent.
    const result = await client.callTool({ name: "streaming__steps", arguments: { count: 6, everyMs: 300 } }, CallToolResultSchema, {
      onprogress: (p) => seen.push(p.message ?? ""),
    });
    assert.equal(textOf(result), "done after 6 steps");
    assert.deepEqual(seen.filter((m) => m.startsWith("step")), ["step 1", "step 2", "step 3", "step 4", "step 5", "step 6"]);
  });

  it("a quiet call past timeoutMs ends outcome_unknown, and the upstream is told to cancel it", async () => {
    const result = await client.callTool({ name: "streaming__quiet", arguments: { ms: 3_000 } });
    assert.equal(result._meta?.["gatehouse/code"], "upstream_outcome_unknown");
    assert.match(textOf(result), /^Upstream "streaming" gave no answer: no answer within 1000 ms \(upstreams\.streaming\.timeoutMs\)\. .*may or may not have run/);
    const cancel = await waitUntil(async () => upstream.cancelled.find((c) => c.startsWith("quiet:")), (c) => c !== undefined);
    assert.match(cancel!, /timed out/i);
  });

  it("an agent's cancel reaches the upstream as notifications/cancelled for that call", async () => {
    const controller = new AbortController();
    const call = client.request({ method: "tools/call", params: { name: "streaming__wait", arguments: {} } }, CallToolResultSchema, {
      signal: controller.signal,
      onprogress: () => controller.abort("the agent changed its mind"),
    });
    await assert.rejects(call);
    const cancel = await waitUntil(async () => upstream.cancelled.find((c) => c.startsWith("wait:")), (c) => c !== undefined);
    assert.match(cancel!, /the agent changed its mind/);
  });

  it("a call whose event stream the upstream closes is answered on the resumed stream (Last-Event-ID)", async () => {
    const seen: string[] = [];
    const result = await client.callTool({ name: "streaming__resume", arguments: {} }, CallToolResultSchema, { onprogress: (p) => seen.push(p.message ?? "") });
    assert.equal(textOf(result), "answered on the resumed stream");
    assert.ok(upstream.resumed >= 1, "the stream was resumed with a GET carrying Last-Event-ID");
    assert.deepEqual(seen.filter((m) => m.includes("break")), ["before the break", "after the break"]);
  });

  it("a call whose event stream breaks before the answer, with no event id to resume from, ends outcome_unknown at once", async () => {
    upstream.dropNextCall = true;
    const seen: string[] = [];
    const result = await client.callTool({ name: "streaming__steps", arguments: { count: 1, everyMs: 1 } }, CallToolResultSchema, { onprogress: (p) => seen.push(p.message ?? "") });
    assert.deepEqual(seen, ["started"], "the progress before the break reached the agent");
    assert.equal(result._meta?.["gatehouse/code"], "upstream_outcome_unknown");
    // Not "no answer within 1000 ms": the break itself ends the call.
    assert.match(textOf(result), /^Upstream "streaming" gave no answer: the request failed after it was sent \(.+\)\. .*may or may not have run/);
  });

  it("an HTTP refusal of the call reaches the agent as the upstream's error, with what it said", async () => {
    upstream.failNextCall = { status: 403, body: "forbidden by the upstream's own rules" };
    const result = await client.callTool({ name: "streaming__steps", arguments: { count: 1, everyMs: 1 } });
    assert.equal(result.isError, true);
    // The SDK client's wording, as before: the upstream's own text, no result from it.
    assert.equal(textOf(result), `Upstream "streaming" failed to run steps: Streamable HTTP error: Error POSTing to endpoint: forbidden by the upstream's own rules`);
    assert.equal(result._meta?.["gatehouse/code"], "upstream_failed");
  });

  it("fields of a result the gateway does not know reach the agent unchanged", async () => {
    const result = await client.callTool({ name: "streaming__odd", arguments: {} });
    assert.deepEqual(result.structuredContent, { n: 1 });
    assert.equal((result as Record<string, unknown>).extra, "kept");
  });

  it("a redirected upstream is still called (the SDK client follows the redirect)", async () => {
    const result = await client.callTool({ name: "moved__steps", arguments: { count: 1, everyMs: 1 } });
    assert.equal(textOf(result), "done after 1 steps");
  });
});

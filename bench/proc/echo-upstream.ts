// The minimal upstream of `npm run bench`: an MCP server on plain node:http that answers initialize,
// tools/list and tools/call (`echo`) with one JSON body each, statelessly, so what is measured around it
// is the cost of whatever sits between it and the client. Prints `listening <url>` when ready.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const TOOL = { name: "echo", description: "Returns its message", inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] } };

function answer(message: { id?: unknown; method?: string; params?: { arguments?: { message?: unknown }; protocolVersion?: unknown } }): unknown {
  switch (message.method) {
    case "initialize":
      return { protocolVersion: message.params?.protocolVersion ?? "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "bench-echo", version: "1" } };
    case "tools/list":
      return { tools: [TOOL] };
    case "tools/call":
      return { content: [{ type: "text", text: String(message.params?.arguments?.message ?? "") }] };
    case "ping":
      return {};
    default:
      return null;
  }
}

/** How often each `hold` argument ran: GET /calls shows it (bench/restart.ts checks that each ran once). */
const runs = new Map<string, number>();

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/calls") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Object.fromEntries(runs)));
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: unknown; method?: string };
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const hold = (message as { params?: { arguments?: { hold?: unknown } } }).params?.arguments?.hold;
    if (message.method === "tools/call" && typeof hold === "string") runs.set(hold, (runs.get(hold) ?? 0) + 1);
    const result = answer(message as never);
    const body = JSON.stringify(
      result === null ? { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } } : { jsonrpc: "2.0", id: message.id, result },
    );
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

// CLI entry of the SmartLead-shaped demo upstream.
//   tsx examples/smartlead/main.ts                                  MCP over stdio
//   tsx examples/smartlead/main.ts --http --port 0 --host 127.0.0.1 Streamable HTTP at /mcp
// SMARTLEAD_BANNER=1 prints a non-JSON line on stdout first, as real SmartLead servers do, so the
// gateway's stdio client is exercised against it. SMARTLEAD_STEP_DELAY_MS slows the bulk tools.
// Logs go to stderr: in stdio mode stdout carries JSON-RPC only.
import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createSmartleadServer } from "./server.ts";

const { values } = parseArgs({
  options: {
    http: { type: "boolean", default: false },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stderr.write("usage: tsx examples/smartlead/main.ts [--http [--port N] [--host H]]\n");
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`smartlead-demo: --port must be an integer 0-65535, got "${values.port}"\n`);
  process.exit(2);
}

const stepDelayText = process.env["SMARTLEAD_STEP_DELAY_MS"];
const stepDelayMs = stepDelayText === undefined ? undefined : Number(stepDelayText);
if (stepDelayMs !== undefined && !(Number.isFinite(stepDelayMs) && stepDelayMs >= 0)) {
  process.stderr.write(`smartlead-demo: SMARTLEAD_STEP_DELAY_MS must be a number of milliseconds, got "${stepDelayText}"\n`);
  process.exit(2);
}

if (process.env["SMARTLEAD_BANNER"] === "1") process.stdout.write("SmartLead MCP demo ready\n");

let closeServer: () => Promise<void> = async () => {};
let stopping = false;
async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`smartlead-demo: stopping (${reason})\n`);
  try {
    await closeServer();
  } finally {
    process.exit(0);
  }
}
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));

if (values.http) {
  // Loaded only here: the HTTP server brings express, which the stdio demo behind `npm start` does not need.
  const { startSmartleadHttpServer } = await import("./http.ts");
  try {
    const http = await startSmartleadHttpServer({ host: values.host, port, ...(stepDelayMs === undefined ? {} : { stepDelayMs }) });
    closeServer = http.close;
    process.stderr.write(`listening on ${http.url}\n`);
  } catch (error) {
    process.stderr.write(`smartlead-demo: cannot listen on ${values.host}:${port}: ${(error as Error).message}\n`);
    process.exit(1);
  }
} else {
  const server = createSmartleadServer(undefined, stepDelayMs === undefined ? {} : { stepDelayMs });
  const transport = new StdioServerTransport();
  server.onerror = (error) => process.stderr.write(`smartlead-demo: ${error.message}\n`);
  closeServer = () => server.close();
  process.stdin.once("end", () => void stop("stdin closed"));
  process.stdin.once("close", () => void stop("stdin closed"));
  await server.connect(transport);
  process.stderr.write("smartlead-demo: serving MCP on stdio\n");
}

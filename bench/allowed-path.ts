// Allowed-path overhead: the same echo tool of server-everything called directly over stdio and
// through Gatehouse (Streamable HTTP → policy → quota → audit commit → stdio upstream), in one run.
// Prints latency percentiles and throughput for both, and for a 2026-07-28 (SDK v2) client of the gateway. Storage follows DATABASE_URL / REDIS_URL.
//   npm run bench            (embedded)      BENCH_CALLS=2000 npm run bench
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startEverythingHttp, EVERYTHING_STDIO } from "../test/helpers/everything.ts";
import { startTestGateway, storageLabel } from "../test/helpers/gateway.ts";

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const POLICY = { version: "1", default: "deny", tools: { echo: { limits: [{ counter: "echo", window: "minute", max: 1_000_000, scope: "grant" }] } } };

type Call = () => Promise<unknown>;

async function measure(label: string, call: Call): Promise<void> {
  for (let i = 0; i < 50; i++) await call(); // warm-up
  const sequential: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await call();
    sequential.push(performance.now() - t0);
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CALLS) await call();
    }),
  );
  const throughput = CALLS / ((performance.now() - t0) / 1000);
  sequential.sort((a, b) => a - b);
  const pct = (p: number) => sequential[Math.min(sequential.length - 1, Math.floor((p / 100) * sequential.length))]!.toFixed(2);
  console.log(`${label.padEnd(34)} p50 ${pct(50).padStart(6)} ms  p90 ${pct(90).padStart(6)} ms  p99 ${pct(99).padStart(6)} ms  ${throughput.toFixed(0).padStart(6)} calls/s (${CONCURRENCY} in flight)`);
}

async function main(): Promise<void> {
  console.log(`allowed-path benchmark: ${CALLS} calls, storage ${storageLabel()}, node ${process.version}`);
  const args = { message: "hello" };

  const direct = new Client({ name: "bench-direct", version: "1" });
  await direct.connect(new StdioClientTransport({ ...EVERYTHING_STDIO, stderr: "ignore" }));
  await measure("direct (stdio upstream)", () => direct.callTool({ name: "echo", arguments: args }));
  await direct.close();

  const http = await startEverythingHttp();
  const directHttp = new Client({ name: "bench-direct-http", version: "1" });
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  await directHttp.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  await measure("direct (Streamable HTTP upstream)", () => directHttp.callTool({ name: "echo", arguments: args }));
  await directHttp.close();
  await http.close();

  const gw = await startTestGateway({ upstreams: { everything: EVERYTHING_STDIO }, policies: { everything: POLICY } });
  try {
    const token = await gw.createToken("bench");
    const client = await gw.connect(token);
    await measure("via Gatehouse (HTTP → stdio)", () => client.callTool({ name: "echo", arguments: args }));
    // The same through the 2026-07-28 front door: the SDK v2 client, stateless (one session per request inside).
    const { Client: ModernClient, StreamableHTTPClientTransport: ModernTransport } = await import("@modelcontextprotocol/client");
    const modern = new ModernClient({ name: "bench-2026", version: "1" }, { versionNegotiation: { mode: "auto" } });
    await modern.connect(new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    await measure("via Gatehouse, 2026-07-28 client", () => modern.callTool({ name: "echo", arguments: args }));
    await modern.close();
  } finally {
    await gw.close();
  }
}

await main();

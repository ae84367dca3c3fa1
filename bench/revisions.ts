// What the 2026-07-28 front door costs: the same requests through one gateway from a 2025-11-25 client
// (one session) and from a 2026-07-28 client (stateless: each request runs on a session of its own
// inside the gateway). tools/list touches no database, so it shows the front door's own cost; an
// allowed tools/call adds the audited path. Prints percentiles; asserts nothing.
//   npm run bench:revisions        BENCH_CALLS=1000 npm run bench:revisions
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { EVERYTHING_STDIO } from "../test/helpers/everything.ts";
import { startTestGateway, storageLabel } from "../test/helpers/gateway.ts";

const CALLS = Number(process.env.BENCH_CALLS ?? 500);

async function measure(label: string, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(2).padStart(6);
  console.log(`${label.padEnd(38)} p50 ${pct(50)} ms  p90 ${pct(90)} ms  p99 ${pct(99)} ms`);
}

const gw = await startTestGateway({ upstreams: { everything: EVERYTHING_STDIO }, policies: { everything: { version: "1", default: "allow" } } });
try {
  console.log(`revisions benchmark: ${CALLS} requests each, storage ${storageLabel()}, node ${process.version}`);
  const token = await gw.createToken("bench");
  const legacy = await gw.connect(token);
  const modern = new ModernClient({ name: "bench-2026", version: "1" }, { versionNegotiation: { mode: "auto" } });
  await modern.connect(new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  const echo = { name: "echo", arguments: { message: "hello" } };
  // Interleaved, twice, so a slow moment of the machine does not land on one side only.
  for (let round = 1; round <= 2; round++) {
    await measure(`tools/list, 2025-11-25 session (${round})`, () => legacy.listTools());
    await measure(`tools/list, 2026-07-28 stateless (${round})`, () => modern.listTools());
    await measure(`tools/call echo, 2025-11-25 (${round})`, () => legacy.callTool(echo));
    await measure(`tools/call echo, 2026-07-28 (${round})`, () => modern.callTool(echo));
  }
  await legacy.close();
  await modern.close();
} finally {
  await gw.close();
}

// What held calls cost a gateway while nobody decides: `gatehouse start` with every call of `echo`
// needing approval, BENCH_HOLDS calls held as held requests by another process (bench/proc/hold.ts), then
// the gateway's CPU over BENCH_SECONDS of waiting, and its live JavaScript heap (heap snapshots) and resident
// memory before and after placing them (the heap is what each held call costs the gateway itself; resident
// memory also counts the embedded database thread's growth: its WebAssembly memory never shrinks), then a
// SIGTERM with every held request still open, timed to the exit (a deploy).
// Storage follows DATABASE_URL / REDIS_URL. Prints figures; asserts nothing.
//   npm run bench:holds             BENCH_HOLDS=10000 npm run bench:holds
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { dropSchema, storageLabel } from "../test/helpers/gateway.ts";
import { AGENT_TOKEN, cpuMs, rssKb, start, startGateway, tsx, type Child } from "./lib.ts";

const HOLDS = Number(process.env.BENCH_HOLDS ?? 2_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const POLICY = { version: "1", default: "deny", tools: { echo: { action: "require_approval", approval: { timeout: "1h" } } } };

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The gateway's live JavaScript heap in bytes: a heap snapshot (which collects garbage first) taken by
 * SIGUSR2 (--heapsnapshot-signal), its objects' sizes summed. What the heap counters report includes
 * garbage not collected yet, which is not what a held call costs.
 */
async function liveHeap(pid: number, snapshotDir: string): Promise<number> {
  const before = new Set(await readdir(snapshotDir));
  process.kill(pid, "SIGUSR2");
  for (;;) {
    await settle(500);
    const file = (await readdir(snapshotDir)).find((name) => name.endsWith(".heapsnapshot") && !before.has(name));
    if (!file) continue;
    let snapshot: { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
    try {
      snapshot = JSON.parse(await readFile(join(snapshotDir, file), "utf8")) as typeof snapshot;
    } catch {
      continue; // still being written
    }
    await rm(join(snapshotDir, file));
    const fields = snapshot.snapshot.meta.node_fields;
    const selfSize = fields.indexOf("self_size");
    let total = 0;
    for (let i = selfSize; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i]!;
    return total;
  }
}

const dir = await mkdtemp(join(tmpdir(), "gatehouse-bench-holds-"));
const schema = `gh_bench_${randomBytes(4).toString("hex")}`;
const started: Child[] = [];
const snapshotDir = join(dir, "heap");
await mkdir(snapshotDir);
process.env.BENCH_NODE_ARGS = `${process.env.BENCH_NODE_ARGS ?? ""} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}`;
try {
  const upstream = await start(...tsx("bench/proc/echo-upstream.ts"), /listening (http:\S+)/);
  started.push(upstream);
  const gateway = await startGateway({
    upstreamUrl: upstream.url,
    dir,
    schema,
    policy: POLICY,
    extra: { approvals: { maxWaitSeconds: 3_600, heartbeatSeconds: 10, ...(process.env.BENCH_APPROVALS && JSON.parse(process.env.BENCH_APPROVALS)) }, limits: { maxSessionsPerGrant: 10 } },
  });
  started.push(gateway);
  const pid = gateway.process.pid;
  await settle(2_000);
  const idleRss = await rssKb(pid);
  const idleHeap = await liveHeap(pid!, snapshotDir);
  const t0 = performance.now();
  const holder = await start(...tsx("bench/proc/hold.ts", JSON.stringify({ url: gateway.url, token: AGENT_TOKEN, count: HOLDS })), /(held \d+)/);
  started.push(holder);
  const placedMs = performance.now() - t0;
  await settle(3_000); // let the placing settle (GC, audit flushes)
  const heldRss = await rssKb(pid);
  const heldHeap = await liveHeap(pid!, snapshotDir);
  const cpuBefore = await cpuMs(pid);
  await settle(SECONDS * 1_000);
  const cpuAfter = await cpuMs(pid);
  const share = cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / (SECONDS * 1_000) : null;
  console.log(`holds benchmark: storage ${storageLabel()}, node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`);
  console.log(`${HOLDS} calls held (placed in ${(placedMs / 1000).toFixed(1)} s, ${(HOLDS / (placedMs / 1000)).toFixed(0)} holds/s)`);
  console.log(`gateway CPU while they wait: ${share === null ? "n/a" : `${(share * 100).toFixed(1)} % of a core`} (over ${SECONDS} s)`);
  console.log(`gateway live heap: ${(idleHeap / 2 ** 20).toFixed(0)} MB idle, ${(heldHeap / 2 ** 20).toFixed(0)} MB holding, ${((heldHeap - idleHeap) / 1024 / HOLDS).toFixed(1)} KB per held call`);
  if (idleRss !== null && heldRss !== null) console.log(`gateway RSS: ${(idleRss / 1024).toFixed(0)} MB idle, ${(heldRss / 1024).toFixed(0)} MB holding, ${((heldRss - idleRss) / HOLDS).toFixed(1)} KB per held call`);
  // A deploy: SIGTERM while every held request is still open (each is answered with its pending answer).
  const t1 = performance.now();
  await gateway.stop();
  console.log(`gateway SIGTERM → exit with ${HOLDS} held requests open: ${((performance.now() - t1) / 1000).toFixed(2)} s`);
} finally {
  for (const child of started.reverse()) await child.stop();
  await rm(dir, { recursive: true, force: true });
  if (process.env.DATABASE_URL) await dropSchema(schema).catch(() => {});
}

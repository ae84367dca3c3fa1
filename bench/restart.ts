// Crash and restart with work pending: `gatehouse start` on a data directory (embedded) or schema
// (PostgreSQL), BENCH_PENDING calls held for approval as tickets, the gateway killed with SIGKILL, started
// again on the same storage. Measures the time from spawning it to its "listening" line and to `/readyz`
// answering 200, and its resident memory once idle; then approves every pending approval through the admin
// API, makes each held call again (an approved ticket runs when its agent calls again) and reads from the
// upstream how often each ran: every one must have run exactly once. Also times a SIGTERM with nothing in
// flight. Storage follows DATABASE_URL / REDIS_URL. Prints figures; fails only when a call is lost, refused
// or run twice.
//   npm run bench:restart            BENCH_PENDING=1000 npm run bench:restart
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { dropSchema, storageLabel } from "../test/helpers/gateway.ts";
import { ADMIN_TOKEN, AGENT_TOKEN, load, rssKb, start, startGateway, tsx, type Child } from "./lib.ts";

const PENDING = Number(process.env.BENCH_PENDING ?? 1_000);
const WARM_UP = 20; // the load generator's warm-up calls are held too
const POLICY = { version: "1", default: "allow", tools: { echo: { approval_if: [{ path: "args.hold", op: "exists" }], approval: { wait: "ticket", timeout: "1h" } } } };
const HOLD_KEY = `restart-${randomBytes(3).toString("hex")}`;

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function api<T>(base: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${base}/api${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers } });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function untilReady(base: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${base}/readyz`).catch(() => null);
    await response?.body?.cancel();
    if (response?.status === 200) return;
    await settle(20);
  }
}

const dir = await mkdtemp(join(tmpdir(), "gatehouse-bench-restart-"));
const schema = `gh_bench_${randomBytes(4).toString("hex")}`;
const started: Child[] = [];
try {
  const upstream = await start(...tsx("bench/proc/echo-upstream.ts"), /listening (http:\S+)/);
  started.push(upstream);
  const options = { upstreamUrl: upstream.url, dir, schema, policy: POLICY };
  const first = await startGateway(options);
  started.push(first);
  const placed = await load({ url: first.url, token: AGENT_TOKEN, mode: "latency", calls: PENDING, hold: true, holdKey: HOLD_KEY });
  if (placed.errors > 0) throw new Error(`placing holds: ${placed.errors} failed (${placed.firstError})`);

  first.process.kill("SIGKILL");
  await first.stop();
  const t0 = performance.now();
  const second = await startGateway(options);
  started.push(second);
  const listeningMs = performance.now() - t0;
  const base = second.url.replace(/\/mcp$/, "");
  await untilReady(base);
  const readyMs = performance.now() - t0;

  // Every pending approval, approved through the admin API (pages of 500, the API's largest).
  const decided = { ok: 0, failed: [] as string[] };
  for (;;) {
    const page = await api<{ approvals: Array<{ id: string }> }>(base, "/approvals?status=pending&limit=500");
    const queue = page.approvals.filter((a) => !decided.failed.some((f) => f.includes(a.id)));
    if (queue.length === 0) break;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const id = next.id;
          await api(base, `/approvals/${id}/approve`, { method: "POST", body: "{}" }).then(
            () => (decided.ok += 1),
            (error: unknown) => decided.failed.push(`${id}: ${(error as Error).message}`),
          );
        }
      }),
    );
  }
  const pendingCount = decided.ok + decided.failed.length;
  const again = await load({ url: second.url, token: AGENT_TOKEN, mode: "latency", calls: PENDING, hold: true, holdKey: HOLD_KEY, expect: "result" });
  const runs = (await (await fetch(upstream.url.replace(/\/mcp$/, "/calls"))).json()) as Record<string, number>;
  const mine = Object.entries(runs).filter(([key]) => key.startsWith(`${HOLD_KEY}-`));
  const twice = mine.filter(([, n]) => n !== 1);

  await settle(3_000);
  const idleRss = await rssKb(second.process.pid);
  const t1 = performance.now();
  await second.stop();
  const sigtermMs = performance.now() - t1;

  console.log(`restart benchmark: storage ${storageLabel()}, node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`);
  console.log(`${PENDING + WARM_UP} calls held as tickets, then SIGKILL`);
  console.log(`start again → listening: ${(listeningMs / 1000).toFixed(2)} s; → /readyz 200: ${(readyMs / 1000).toFixed(2)} s`);
  console.log(`pending after the restart: ${pendingCount}; approved: ${decided.ok}${decided.failed.length ? `; refused: ${decided.failed.length} (${decided.failed[0]})` : ""}`);
  console.log(`called again: ${again.calls} answered with their result, ${again.errors} not${again.firstError ? ` (${again.firstError})` : ""}; upstream ran ${mine.length} of them, ${twice.length} not exactly once`);
  console.log(`resident memory once idle after all that: ${idleRss === null ? "n/a" : `${(idleRss / 1024).toFixed(0)} MB`}; SIGTERM → exit: ${(sigtermMs / 1000).toFixed(2)} s`);
  if (pendingCount !== PENDING + WARM_UP || decided.failed.length > 0 || again.errors > 0 || mine.length !== PENDING + WARM_UP || twice.length > 0) {
    throw new Error("a held call was lost, could not be decided, or did not run exactly once");
  }
} finally {
  for (const child of started.reverse()) await child.stop();
  await rm(dir, { recursive: true, force: true });
  if (process.env.DATABASE_URL) await dropSchema(schema).catch(() => {});
}

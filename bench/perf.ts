// `npm run bench`: the allowed path measured as issue 9 defines it. Upstream, raw hop, gateway and load
// generator each run as a process of their own; rounds interleave direct (client → echo upstream), raw hop
// (client → 40-line node:http proxy → upstream) and Gatehouse (client → `gatehouse start` → upstream), so
// a slow moment of the machine does not land on one target only. Per target: latency at 1 in flight, and
// throughput at BENCH_CONCURRENCY in flight for BENCH_SECONDS, with the CPU the middle process used per
// call (from /proc; on PostgreSQL + Redis also what the local PostgreSQL and Redis processes used per
// call). Then placing holds on the same gateway (BENCH_HOLD_CALLS at 1 in flight, BENCH_HOLD_SECONDS
// at BENCH_CONCURRENCY). Afterwards the gateway's audit history is checked: every call there, chain intact.
// Prints a markdown table and writes the figures as JSON (BENCH_OUT, default bench/results/latest.json).
// Storage follows DATABASE_URL / REDIS_URL as everywhere. Never fails on speed; fails when a part fails.
//   npm run bench                   npm run bench -- --quick (the CI smoke run)
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../src/config/index.ts";
import { dropSchema, storageLabel } from "../test/helpers/gateway.ts";
import { ADMIN_TOKEN, AGENT_TOKEN, cpuMs, load, servicesCpuMs, start, startGateway, tsx, type Child, type LoadResult } from "./lib.ts";

const QUICK = process.argv.includes("--quick");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 2));
const LATENCY_CALLS = Number(process.env.BENCH_CALLS ?? (QUICK ? 200 : 1000));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 30));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const HOLD_CALLS = Number(process.env.BENCH_HOLD_CALLS ?? (QUICK ? 50 : 300));
const HOLD_SECONDS = Number(process.env.BENCH_HOLD_SECONDS ?? (QUICK ? 2 : 10));
const OUT = process.env.BENCH_OUT ?? join(PROJECT_ROOT, "bench/results/latest.json");

type Target = "direct" | "raw hop" | "gatehouse";
interface Figures {
  latency: LoadResult[];
  throughput: Array<LoadResult & { cpuMsPerCall: number | null; servicesCpuMsPerCall: number | null; loadavg: number }>;
}

/** Every call the load generators completed is in the audit history, and the hash chain verifies. */
async function checkAudit(gatewayUrl: string, expected: number): Promise<{ audited: number; chainOk: boolean; problems: string[] }> {
  const base = gatewayUrl.replace(/\/mcp$/, "");
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let audited = 0;
  let cursor: string | undefined;
  do {
    const page = (await (await fetch(`${base}/api/audit/calls?tool=echo&status=succeeded&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers })).json()) as { rows: unknown[]; nextCursor?: string | null };
    audited += page.rows.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const verify = (await (await fetch(`${base}/api/audit/verify`, { headers })).json()) as { ok: boolean; problems?: string[] };
  return { audited, chainOk: verify.ok, problems: [...(verify.problems ?? []), ...(audited < expected ? [`${expected - audited} completed calls missing from the audit history`] : [])] };
}

function row(label: string, figures: Figures, direct: Figures, hop: Figures): string {
  const p = (k: "p50" | "p99") => median(figures.latency.map((r) => r.ms[k]));
  const over = (k: "p50" | "p99", of: Figures) => median(of.latency.map((r) => r.ms[k])) - median(direct.latency.map((r) => r.ms[k]));
  const rate = median(figures.throughput.map((r) => r.calls / (r.elapsedMs / 1000)));
  const cpu = figures.throughput.map((r) => r.cpuMsPerCall).filter((v): v is number => v !== null);
  const services = figures.throughput.map((r) => r.servicesCpuMsPerCall).filter((v): v is number => v !== null);
  const errors = [...figures.latency, ...figures.throughput].reduce((sum, r) => sum + r.errors, 0);
  const isMiddle = figures !== direct;
  const ratio = (k: "p50" | "p99") => (figures === direct || figures === hop ? "" : ` (${(over(k, figures) / over(k, hop)).toFixed(1)}× hop's)`);
  return [
    label,
    `${p("p50").toFixed(2)} ms${isMiddle ? `, +${over("p50", figures).toFixed(2)}${ratio("p50")}` : ""}`,
    `${p("p99").toFixed(2)} ms${isMiddle ? `, +${over("p99", figures).toFixed(2)}${ratio("p99")}` : ""}`,
    `${rate.toFixed(0)}${figures === hop || figures === direct ? "" : ` (${((rate / median(hop.throughput.map((r) => r.calls / (r.elapsedMs / 1000)))) * 100).toFixed(0)} % of hop)`}`,
    cpu.length > 0 && isMiddle ? `${median(cpu).toFixed(2)} ms${services.length > 0 ? ` (+ ${median(services).toFixed(2)} ms PostgreSQL/Redis)` : ""}` : "—",
    String(errors),
  ].join(" | ");
}

/** Holds placed one at a time, then at CONCURRENCY in flight, each a new approval (distinct arguments). */
async function placeHolds(url: string, pid: number | undefined): Promise<{ latency: LoadResult; throughput: LoadResult; cpuMsPerHold: number | null; servicesCpuMsPerHold: number | null }> {
  const latency = await load({ url, token: AGENT_TOKEN, mode: "latency", calls: HOLD_CALLS, hold: true });
  const [cpuBefore, servicesBefore] = [await cpuMs(pid), await storeCpuMs()];
  const throughput = await load({ url, token: AGENT_TOKEN, mode: "throughput", seconds: HOLD_SECONDS, concurrency: CONCURRENCY, hold: true });
  const [cpuAfter, servicesAfter] = [await cpuMs(pid), await storeCpuMs()];
  const cpuMsPerHold = perCall(cpuBefore, cpuAfter, throughput.calls);
  const servicesCpuMsPerHold = perCall(servicesBefore, servicesAfter, throughput.calls);
  const rate = throughput.calls / (throughput.elapsedMs / 1000);
  console.log(
    `  holds     p50 ${latency.ms.p50.toFixed(2)} ms  p99 ${latency.ms.p99.toFixed(2)} ms  ${rate.toFixed(0)} holds/s${cpuMsPerHold === null ? "" : `  cpu ${cpuMsPerHold.toFixed(2)} ms/hold`}` +
      `${servicesCpuMsPerHold === null ? "" : `  database ${servicesCpuMsPerHold.toFixed(2)} ms/hold`}  errors ${latency.errors + throughput.errors}  load ${loadavg()[0]!.toFixed(2)}`,
  );
  return { latency, throughput, cpuMsPerHold, servicesCpuMsPerHold };
}

/** CPU of the local PostgreSQL and Redis the gateway stores in (PostgreSQL mode); null embedded, where the database runs inside the gateway's process. */
const storeCpuMs = () => (process.env.DATABASE_URL ? servicesCpuMs() : Promise.resolve(null));

function perCall(before: number | null, after: number | null, calls: number): number | null {
  return before !== null && after !== null && calls > 0 ? (after - before) / calls : null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-bench-"));
  const schema = `gh_bench_${randomBytes(4).toString("hex")}`;
  const started: Child[] = [];
  try {
    const upstream = await start(...tsx("bench/proc/echo-upstream.ts"), /listening (http:\S+)/);
    started.push(upstream);
    const hop = await start(...tsx("bench/proc/raw-hop.ts", upstream.url), /listening (http:\S+)/);
    started.push(hop);
    // Calls of echo are allowed; one carrying a `hold` argument is held for approval, answered as a ticket
    // (the pending answer at once), so placing a hold is timed like a call.
    const policy = { version: "1", default: "allow", tools: { echo: { approval_if: [{ path: "args.hold", op: "exists" }], approval: { wait: "ticket", timeout: "1h" } } } };
    const gateway = await startGateway({ upstreamUrl: upstream.url, dir, schema, policy });
    started.push(gateway);
    const targets: Record<Target, { url: string; token?: string; pid?: number }> = {
      direct: { url: upstream.url },
      "raw hop": { url: hop.url, pid: hop.process.pid },
      gatehouse: { url: gateway.url, token: AGENT_TOKEN, pid: gateway.process.pid },
    };
    const figures: Record<Target, Figures> = { direct: { latency: [], throughput: [] }, "raw hop": { latency: [], throughput: [] }, gatehouse: { latency: [], throughput: [] } };
    let gatewayCalls = 0;
    const header = `storage ${storageLabel()}, node ${process.version}, ${cpus().length} cores, ${ROUNDS} round(s): ${LATENCY_CALLS} calls at 1 in flight, ${SECONDS} s at ${CONCURRENCY} in flight`;
    console.log(`bench: ${header}`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, target] of Object.entries(targets) as Array<[Target, (typeof targets)[Target]]>) {
        const latency = await load({ url: target.url, token: target.token, mode: "latency", calls: LATENCY_CALLS });
        const isGateway = name === "gatehouse";
        const [cpuBefore, servicesBefore] = [await cpuMs(target.pid), isGateway ? await storeCpuMs() : null];
        const throughput = await load({ url: target.url, token: target.token, mode: "throughput", seconds: SECONDS, concurrency: CONCURRENCY });
        const [cpuAfter, servicesAfter] = [await cpuMs(target.pid), isGateway ? await storeCpuMs() : null];
        const cpuMsPerCall = perCall(cpuBefore, cpuAfter, throughput.calls);
        const servicesCpuMsPerCall = perCall(servicesBefore, servicesAfter, throughput.calls);
        figures[name].latency.push(latency);
        figures[name].throughput.push({ ...throughput, cpuMsPerCall, servicesCpuMsPerCall, loadavg: loadavg()[0]! });
        if (name === "gatehouse") gatewayCalls += latency.calls + throughput.calls + 2 * 20; // + the warm-ups
        const rate = throughput.calls / (throughput.elapsedMs / 1000);
        console.log(
          `  round ${round} ${name.padEnd(9)} p50 ${latency.ms.p50.toFixed(2)} ms  p99 ${latency.ms.p99.toFixed(2)} ms  ${rate.toFixed(0)} calls/s` +
            `${cpuMsPerCall === null ? "" : `  cpu ${cpuMsPerCall.toFixed(2)} ms/call`}${servicesCpuMsPerCall === null ? "" : `  database ${servicesCpuMsPerCall.toFixed(2)} ms/call`}` +
            `  errors ${latency.errors + throughput.errors}  load ${loadavg()[0]!.toFixed(2)}`,
        );
      }
    }
    const holds = await placeHolds(gateway.url, gateway.process.pid);
    const audit = await checkAudit(gateway.url, gatewayCalls);
    const table = [
      `| target | p50, 1 in flight (over direct) | p99, 1 in flight (over direct) | calls/s at ${CONCURRENCY} in flight | CPU per call | errors |`,
      "|---|---|---|---|---|---|",
      `| ${row("direct", figures.direct, figures.direct, figures["raw hop"])} |`,
      `| ${row("raw Node hop", figures["raw hop"], figures.direct, figures["raw hop"])} |`,
      `| ${row("Gatehouse", figures.gatehouse, figures.direct, figures["raw hop"])} |`,
    ].join("\n");
    const holdTable = [
      `| placing a hold | p50, 1 in flight | p99, 1 in flight | holds/s at ${CONCURRENCY} in flight | CPU per hold | errors |`,
      "|---|---|---|---|---|---|",
      `| Gatehouse | ${holds.latency.ms.p50.toFixed(2)} ms | ${holds.latency.ms.p99.toFixed(2)} ms | ${(holds.throughput.calls / (holds.throughput.elapsedMs / 1000)).toFixed(0)} | ${holds.cpuMsPerHold === null ? "—" : `${holds.cpuMsPerHold.toFixed(2)} ms`}${holds.servicesCpuMsPerHold === null ? "" : ` (+ ${holds.servicesCpuMsPerHold.toFixed(2)} ms PostgreSQL/Redis)`} | ${holds.latency.errors + holds.throughput.errors} |`,
    ].join("\n");
    console.log(`\n${header}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n\n${table}\n\n${holdTable}\n`);
    console.log(`audit: ${audit.audited} calls in the history (${gatewayCalls} completed), chain ${audit.chainOk ? "intact" : "BROKEN"}${audit.problems.length ? `: ${audit.problems.join("; ")}` : ""}`);
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, JSON.stringify({ at: new Date().toISOString(), storage: storageLabel(), node: process.version, cores: cpus().length, quick: QUICK, rounds: ROUNDS, latencyCalls: LATENCY_CALLS, seconds: SECONDS, concurrency: CONCURRENCY, figures, holds, audit }, null, 2));
    console.log(`figures: ${OUT}`);
    const errors = [...Object.values(figures).flatMap((f) => [...f.latency, ...f.throughput]), holds.latency, holds.throughput].reduce((sum, r) => sum + r.errors, 0);
    if (!audit.chainOk || audit.problems.length > 0) throw new Error("the audit history is incomplete or does not verify");
    if (errors > 0) console.log(`note: ${errors} calls failed (see the JSON for the first error of each run)`);
  } finally {
    for (const child of started.reverse()) await child.stop();
    await rm(dir, { recursive: true, force: true });
    if (process.env.DATABASE_URL) await dropSchema(schema).catch(() => {});
  }
}

await main();

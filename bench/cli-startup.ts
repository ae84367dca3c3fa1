// Start-up times of the compiled CLI and gateway, as a user meets them: `gatehouse --help`, each command
// against a running gateway (found with no flags, from gatehouse.json in the working directory's data
// dir), and a warm `npm start` until its banner. Each figure is the median of BENCH_RUNS runs, next to
// the time Node itself takes to start and exit on this machine in the same run (the floor of any command).
// Runs `npm run build` first unless BENCH_SKIP_BUILD=1. Storage follows DATABASE_URL / REDIS_URL.
//   npm run bench:startup            BENCH_RUNS=9 npm run bench:startup
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { PROJECT_ROOT } from "../src/config/index.ts";
import { dropSchema, storageLabel } from "../test/helpers/gateway.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BIN = join(PROJECT_ROOT, "bin/gatehouse.js");
const DEMO_TOKEN = "ghk_bench-demo-token-0123456789abcdefghijklmnop";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of a child process from spawn to exit, in ms; fails loudly if it fails. */
function timeRun(args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: "utf8" });
  const elapsed = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function report(label: string, samples: number[], target?: number): void {
  const figure = `${median(samples).toFixed(0).padStart(6)} ms`;
  const range = `(min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)})`;
  console.log(`${label.padEnd(42)} ${figure}  ${range.padEnd(22)}${target ? ` target ≤ ${target} ms` : ""}`);
}

/** Spawns the gateway and resolves with the ms until its banner line, and the process. */
function startUntilBanner(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const t0 = performance.now();
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const ready = new Promise<{ ms: number; url: string }>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) resolve({ ms: performance.now() - t0, url: match[1]! });
    });
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}) before its banner: ${errors}`)));
  });
  // npm runs the gateway in a child of its own: signal the whole group, and wait until every process of it
  // is gone (the next start must not find this gateway's database still open).
  const stop = async () => {
    process.kill(-child.pid!, "SIGTERM");
    while (isGroupAlive(child.pid!)) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { ready, stop };
}

function isGroupAlive(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch {
    return false;
  }
}

async function holdCalls(url: string, count: number): Promise<{ client: Client; held: Promise<unknown>[] }> {
  const client = new Client({ name: "bench-agent", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${DEMO_TOKEN}` } } }));
  await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} });
  const held = Array.from({ length: count }, (_, i) => client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [9000 + i] } }).catch(() => null));
  return { client, held };
}

async function main(): Promise<void> {
  if (process.env.BENCH_SKIP_BUILD !== "1") {
    const built = spawnSync("npm", ["run", "build"], { cwd: PROJECT_ROOT, stdio: "inherit" });
    if (built.status !== 0) throw new Error("npm run build failed");
  }
  console.log(`cli start-up benchmark: median of ${RUNS} runs, storage ${storageLabel()}, node ${process.version}`);
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-bench-cli-"));
  const schema = `gh_bench_cli_${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: "0",
    LOG_LEVEL: "warn",
    GATEHOUSE_DEMO_TOKEN: DEMO_TOKEN,
    ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL, GATEHOUSE_DB_SCHEMA: schema }),
    ...(process.env.REDIS_URL && { REDIS_URL: process.env.REDIS_URL }),
  };
  try {
    report("node -e 0 (Node's own start and exit)", Array.from({ length: RUNS }, () => timeRun(["-e", "0"], dir, env)));
    report("gatehouse --help", Array.from({ length: RUNS }, () => timeRun([BIN, "--help"], dir, env)), 150);

    // The demo gateway in `dir`: the CLI below runs there with no flags and finds it through .gatehouse/gateway.json.
    const gateway = startUntilBanner(process.execPath, [BIN, "start"], dir, env);
    const { url } = await gateway.ready;
    const { client, held } = await holdCalls(url, RUNS);
    try {
      const approvals = await waitForPending(dir, env, RUNS);
      const callId = JSON.parse(spawnSync(process.execPath, [BIN, "audit", "list", "--limit", "1", "--format", "json"], { cwd: dir, env, encoding: "utf8" }).stdout)[0].id as string;
      const commands = [
        ["approvals", "list"],
        ["approvals", "show", approvals[0]!],
        ["audit", "list"],
        ["audit", "show", callId],
        ["audit", "verify"],
        ["policy", "list"],
        ["policy", "effective", "smartlead"],
        ["grants", "list"],
        ["reviewers", "list"],
        ["upstreams", "list"],
        ["upstreams", "tools", "smartlead"],
      ];
      for (const command of commands) report(`gatehouse ${command.join(" ").replace(/[0-9a-f-]{36}/, "<id>")}`, Array.from({ length: RUNS }, () => timeRun([BIN, ...command], dir, env)), 300);
      report("gatehouse approvals approve <id>", approvals.map((id) => timeRun([BIN, "approvals", "approve", id], dir, env)), 300);
      await Promise.all(held);
    } finally {
      await client.close();
      await gateway.stop();
    }

    // The gateway until its banner, warm (a first run creates the database): started directly, and with
    // `npm start` as the README runs it, from the package folder (npm's own start-up included).
    const startEnv = { ...env, GATEHOUSE_DATA_DIR: join(dir, "start-data") };
    report("gatehouse start → banner (warm)", await bannerTimes(process.execPath, [BIN, "start"], dir, startEnv), 2000);
    report("npm start → banner (warm)", await bannerTimes("npm", ["start"], PROJECT_ROOT, startEnv), 2000);
    if (!process.env.DATABASE_URL) {
      // A first start creates the embedded database (from the build's copy of an empty one, src/db/embedded-template.ts).
      const firsts: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = startUntilBanner(process.execPath, [BIN, "start"], dir, { ...env, GATEHOUSE_DATA_DIR: join(dir, `first-${run}`) });
        firsts.push((await started.ready).ms);
        await started.stop();
      }
      report("gatehouse start → banner (first start, new data directory)", firsts);
      // The floor of an embedded start: PGlite opening the same files (its WebAssembly Postgres booting).
      const { PGlite } = await import("@electric-sql/pglite");
      const opens: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const t0 = performance.now();
        const db = await PGlite.create(join(startEnv.GATEHOUSE_DATA_DIR, "pgdata"));
        opens.push(performance.now() - t0);
        await db.close();
      }
      report("  of which PGlite opening the database", opens);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (process.env.DATABASE_URL) await dropSchema(schema);
  }
}

/** Banner times of RUNS warm starts (one start before them creates the database). */
async function bannerTimes(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const started = startUntilBanner(command, args, cwd, env);
    const { ms } = await started.ready;
    await started.stop();
    if (run > 0) times.push(ms);
  }
  return times;
}

/** The ids of `count` pending approvals, listed by the CLI itself once the held calls reached the gateway. */
async function waitForPending(cwd: string, env: NodeJS.ProcessEnv, count: number): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = spawnSync(process.execPath, [BIN, "approvals", "list", "--format", "json"], { cwd, env, encoding: "utf8" });
    const ids = (JSON.parse(listed.stdout || "[]") as Array<{ id: string }>).map((a) => a.id);
    if (ids.length >= count) return ids.slice(0, count);
    if (Date.now() > deadline) throw new Error(`only ${ids.length} of ${count} held calls reached the gateway: ${listed.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

await main();

// What the process-based benchmarks share: starting a process and waiting for its ready line, the
// gateway as `gatehouse start` on a config written for the run, the load generator, and what /proc says
// a process used (CPU time, resident memory).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { PROJECT_ROOT } from "../src/config/index.ts";

/** The V8 flags `gatehouse` runs with (bin/gatehouse.js's first line): the gateway is measured as users run it. */
export const GATEWAY_NODE_FLAGS = nodeFlagsOf(readFileSync(join(PROJECT_ROOT, "bin/gatehouse.js"), "utf8"));

/** The node flags of a script's `#!/usr/bin/env -S node …` line. */
export function nodeFlagsOf(script: string): string[] {
  const shebang = /^#!\/usr\/bin\/env -S node(.*)$/m.exec(script.split("\n", 1)[0] ?? "");
  return shebang?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

export const AGENT_TOKEN = `ghk_${randomBytes(24).toString("base64url")}`;
export const ADMIN_TOKEN = `bench-admin-${randomBytes(8).toString("hex")}`;

export interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export interface LoadResult {
  calls: number;
  errors: number;
  firstError: string | null;
  ms: { p50: number; p90: number; p99: number };
  elapsedMs: number;
}

/** Starts a process and resolves once it prints a line matching `ready` (its first group is the URL). */
export function start(command: string, args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<Child> {
  const child = spawn(command, [...args], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  // BENCH_LOGS=<dir> keeps every process's output there (the gateway's log says why a call was refused).
  const log = process.env.BENCH_LOGS ? createWriteStream(join(process.env.BENCH_LOGS, `${basename(args.find((a) => a.endsWith(".ts") || a.endsWith(".js")) ?? command)}-${child.pid}.log`)) : null;
  child.stderr!.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
    log?.write(chunk);
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      log?.write(chunk);
      output += chunk.toString();
      const match = ready.exec(output);
      if (!match) return;
      child.stdout!.removeAllListeners("data");
      if (log) child.stdout!.on("data", (more: Buffer) => log.write(more));
      else child.stdout!.resume();
      const exited = new Promise<void>((done) => child.once("exit", () => done()));
      resolve({
        process: child,
        url: match[1]!,
        async stop() {
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code}) before it was ready: ${errors}`)));
  });
}

/** A TypeScript file of this project run with tsx: [command, args]. */
export const tsx = (file: string, ...args: string[]) => [process.execPath, ["--import", "tsx", join(PROJECT_ROOT, file), ...args]] as const;

/** Runs the load generator (bench/proc/load.ts) with one job and returns its result. */
export async function load(job: Record<string, unknown>): Promise<LoadResult> {
  const [command, args] = tsx("bench/proc/load.ts", JSON.stringify(job));
  const child = spawn(command, [...args], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`load generator failed (${code}): ${errors.slice(-2000)}`);
  return JSON.parse(output.trim().split("\n").pop()!) as LoadResult;
}

/** CPU time (user + system) a process has used so far, in ms; null where /proc is not there. */
export async function cpuMs(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) used so far by the PostgreSQL and Redis server processes on this machine,
 * for what the gateway's calls cost the services it stores them in; null without /proc or with neither
 * running here (a remote database). Backends that exited in between are not counted.
 */
export async function servicesCpuMs(): Promise<number | null> {
  let entries: string[];
  try {
    entries = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let total = 0;
  let found = false;
  for (const pid of entries) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (command !== "postgres" && command !== "redis-server") continue;
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
      found = true;
    } catch {
      // exited meanwhile
    }
  }
  return found ? total : null;
}

/** Resident memory of a process in KB; null where /proc is not there. */
export async function rssKb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** `gatehouse start` (the built CLI) in front of one upstream `echo`, with `policy` and `extra` config. */
export async function startGateway(options: { upstreamUrl: string; dir: string; schema: string; policy: unknown; extra?: Record<string, unknown> }): Promise<Child> {
  const { dir } = options;
  await writeFile(join(dir, "echo.json"), JSON.stringify(options.policy));
  const configFile = join(dir, "gatehouse.json");
  await writeFile(
    configFile,
    JSON.stringify({
      upstreams: { echo: { url: options.upstreamUrl, policy: "echo.json" } },
      grants: [{ name: "bench-agent", token: "${BENCH_AGENT_TOKEN}" }],
      storage: { dataDir: "data", schema: options.schema },
      listen: { port: 0 },
      ...options.extra,
    }),
  );
  const env = { ...process.env, BENCH_AGENT_TOKEN: AGENT_TOKEN, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: "warn", GATEHOUSE_STATE_DIR: join(dir, "state") };
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the gateway (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = [...GATEWAY_NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean)];
  const gateway = await start(process.execPath, [...nodeArgs, join(PROJECT_ROOT, "bin/gatehouse.js"), "start", "--config", configFile], /listening on (http:\/\/[\d.]+:\d+)/, env);
  return { ...gateway, url: `${gateway.url}/mcp` };
}

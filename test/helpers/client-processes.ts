// Third-party MCP clients that run as their own processes: the MCP Inspector CLI (one process per
// call) and mcp-remote (a stdio bridge to an HTTP server). Each child gets a throw-away HOME, so
// nothing lands in the real one, and its own process group, so close() also takes its children.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../../src/config/index.ts";

/** The entry script of an installed package's bin, run with this Node (never through npx). */
export function packageBin(pkg: string, bin: string): string {
  const dir = join(PROJECT_ROOT, "node_modules", pkg);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { bin: Record<string, string> };
  const entry = manifest.bin[bin];
  if (!entry) throw new Error(`${pkg} has no bin named ${bin}`);
  return join(dir, entry);
}

export function packageVersion(pkg: string): string {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

/** A temporary HOME for a client, and the variables that point a client's state into it. */
export async function makeClientHome(label: string): Promise<{ dir: string; env: Record<string, string>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-${label}-`));
  return {
    dir,
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, ".config"), XDG_CACHE_HOME: join(dir, ".cache"), MCP_REMOTE_CONFIG_DIR: join(dir, ".mcp-auth") },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** PATH holding only this Node: a client that tries to open a browser (xdg-open) finds nothing. */
export const NODE_ONLY_PATH = dirname(process.execPath);

export interface ProcessRun {
  child: ChildProcess;
  /** Settles once the process and everything it spawned have exited, with what it printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Runs one client process in its own group; `stopAll` ends the runs of a set still going. */
export function runTracked(tracked: Set<ProcessRun>, command: string, args: string[], env: Record<string, string>, cwd?: string): ProcessRun {
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "close").then(async ([code, signal]) => {
    // A stdio server the client spawned may still be shutting down; it must not outlive the run.
    await reapGroup(child, GROUP_GRACE_MS);
    tracked.delete(run);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr };
  });
  const run = { child, exited };
  tracked.add(run);
  return run;
}

const GROUP_GRACE_MS = 5000;

/** Sends `signal` to each running client, then SIGKILL to its whole group if it lingers. */
export async function stopAll(tracked: Set<ProcessRun>, signal: NodeJS.Signals = "SIGTERM", graceMs = 2000): Promise<void> {
  await Promise.all(
    [...tracked].map(async ({ child, exited }) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => killGroup(child), graceMs);
      await exited.catch(() => {});
      clearTimeout(timer);
    }),
  );
}

// Other members of a process group cannot be awaited as events, so this polls for them.
async function reapGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (isGroupAlive(child) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  killGroup(child);
}

function isGroupAlive(child: ChildProcess): boolean {
  try {
    if (child.pid) process.kill(-child.pid, 0);
    return child.pid !== undefined;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

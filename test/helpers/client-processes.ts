// Third-party MCP clients that run as their own processes: the MCP Inspector CLI (one process per
// call) and mcp-remote (a stdio bridge to an HTTP server). Each child gets a throw-away HOME, so
// nothing lands in the real one, and its own process group, so close() also takes its children.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { PROJECT_ROOT } from "../../src/config/index.ts";
import { memoise, outcomeFromError, outcomeFromResult, refuse, SDK_CLIENT_INFO, sdkCallTool, sdkToolNames, type DrivenClient, type HttpTarget, type OpenOptions, type StdioTarget, type ToolOutcome } from "./client-driver.ts";

/** The entry script of an installed package's bin, run with this Node (never through npx). */
export function packageBin(pkg: string, bin: string): string {
  const dir = join(PROJECT_ROOT, "node_modules", pkg);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { bin: Record<string, string> };
  const entry = manifest.bin[bin];
  if (!entry) throw new Error(`${pkg} has no bin named ${bin}`);
  return join(dir, entry);
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

/** mcp-remote as a stdio child (as a desktop client launches it), with the SDK Client on the local side. */
export async function openMcpRemoteClient(target: HttpTarget, { label = "mcp-remote" }: OpenOptions = {}): Promise<DrivenClient> {
  const home = await makeClientHome("mcp-remote");
  const headerArgs = Object.entries(target.headers).flatMap(([name, value]) => ["--header", `${name}:${value}`]);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [packageBin("mcp-remote", "mcp-remote"), target.url, ...headerArgs, "--transport", "http-only"],
    env: { PATH: NODE_ONLY_PATH, ...home.env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const client = new Client(SDK_CLIENT_INFO);
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close();
    await home.remove();
    throw new Error(`mcp-remote did not connect: ${(error as Error).message}\n${stderr}`);
  }
  const sdk: DrivenClient = {
    label,
    listTools: () => sdkToolNames(client),
    callTool: (name, args, options) => sdkCallTool(client, label, name, args, options),
    close: memoise(async () => {
      await client.close(); // the SDK ends stdin, then SIGTERM / SIGKILL if the bridge lingers
      await home.remove();
    }),
    async kill() {
      const pid = transport.pid;
      if (pid) process.kill(pid, "SIGKILL");
      await sdk.close();
    },
  };
  return sdk;
}

/**
 * The MCP Inspector CLI: one `mcp-inspector --cli` process per call, its JSON envelope parsed. The
 * CLI has a fixed 60 s request timeout and never asks for progress, so those options are refused.
 */
export async function openInspectorClient(target: HttpTarget | StdioTarget, { label = "url" in target ? "inspector-http" : "inspector-stdio" }: OpenOptions = {}): Promise<DrivenClient> {
  const home = await makeClientHome("inspector");
  const launcher = packageBin("@modelcontextprotocol/inspector", "mcp-inspector");
  const runs = new Set<ProcessRun>();
  const targetArgs =
    "url" in target
      ? [target.url, "--transport", "http", ...Object.entries(target.headers).flatMap(([n, v]) => ["--header", `${n}: ${v}`])]
      : // Inspector v2 gives a stdio server only the variables passed with -e; `--` keeps the
        // server's own flags (gatehouse's --config) away from the Inspector's.
        [...Object.entries(target.env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), "--", target.command, ...target.args];
  const run = async (method: string[]) => {
    const args = [launcher, "--cli", ...method, "--format", "json", ...targetArgs];
    return outcomeFromInspector(await runTracked(runs, process.execPath, args, { PATH: NODE_ONLY_PATH, ...home.env }, home.dir).exited);
  };
  const close = memoise(async () => {
    await stopAll(runs);
    await home.remove();
  });
  return {
    label,
    async listTools() {
      const listed = await run(["--method", "tools/list"]);
      if (listed.thrown) throw new Error(listed.thrown);
      return ((listed.raw as { tools?: Array<{ name: string }> }).tools ?? []).map((t) => t.name);
    },
    async callTool(name, args, options) {
      refuse(label, options, ["timeoutMs", "resetTimeoutOnProgress", "onProgress", "signal", "onTask"]);
      const { raw: _raw, ...outcome } = await run(["--method", "tools/call", "--tool-name", name, "--tool-args-json", JSON.stringify(args)]);
      return outcome;
    },
    close,
    async kill() {
      await stopAll(runs, "SIGKILL");
      await close();
    },
  };
}

// `--format json`: stdout carries {"result": …} when the call returned (also for isError, exit 5);
// stderr ends with {"error": {"code", "message"}} when it failed (after the stdio server's own logs).
function outcomeFromInspector(run: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }): ToolOutcome & { raw: unknown } {
  const result = lastJsonWith(run.stdout, "result");
  if (result !== undefined) return { ...outcomeFromResult(result), raw: result };
  const error = lastJsonWith(run.stderr, "error") as { message?: string } | undefined;
  const message = error?.message ?? `inspector exited (${run.code ?? run.signal}): ${run.stderr.trim().slice(-2000)}`;
  return { ...outcomeFromError(new Error(message)), raw: null };
}

function lastJsonWith(text: string, key: string): unknown {
  for (const line of text.trim().split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (key in parsed) return parsed[key];
    } catch {
      // not a JSON line of the envelope
    }
  }
  return undefined;
}

// Real third-party MCP clients behind one interface, so a test can make the same call through each
// and assert on what that client's user would see. Findings per client: docs/clients.md.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createMCPClient } from "@ai-sdk/mcp";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolResultSchema, CreateTaskResultSchema, type Progress, type Task } from "@modelcontextprotocol/sdk/types.js";
import type { ToolExecutionOptions } from "ai";
import { PROJECT_ROOT } from "../../src/config/index.ts";
import type { TestGateway } from "./gateway.ts";
import { makeClientHome, NODE_ONLY_PATH, packageBin, packageVersion, runTracked, stopAll, type ProcessRun } from "./client-processes.ts";

export interface ToolOutcome {
  /** The text the caller got: the result's text content, or the message of what the client threw. */
  text: string;
  /** True for an isError result and for a thrown error. */
  isError: boolean;
  /** The result's `_meta` as the caller can see it; null when the client does not pass it on. */
  meta: Record<string, unknown> | null;
  /** Set when the client threw (or its process failed) instead of returning a result. */
  thrown: string | null;
}

export interface TaskUpdate {
  taskId: string;
  status: string;
  statusMessage?: string;
}

export interface CallOptions {
  /** The client's own request timeout. A client without one throws instead of ignoring it. */
  timeoutMs?: number;
  /** SDK-based clients: restart the timeout on each progress notification. */
  resetTimeoutOnProgress?: boolean;
  /** Receive progress notifications (the client then sends a progressToken, where it can). */
  onProgress?: (progress: Progress) => void;
  /** Cancel from the caller's side, through the client's own cancellation path. */
  signal?: AbortSignal;
  /** Task client only: each status the task reports, starting with its creation. */
  onTask?: (task: TaskUpdate) => void;
}

export interface DrivenClient {
  label: string;
  /** Tool names as this client offers them to its user (or model). */
  listTools(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<ToolOutcome>;
  /** The client's own orderly close (for process clients: SIGTERM). Idempotent. */
  close(): Promise<void>;
  /** Process clients only: SIGKILL, as when the client crashes. */
  kill?(): Promise<void>;
}

export interface HttpTarget {
  url: string;
  headers: Record<string, string>;
}

export interface StdioTarget {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface OpenOptions {
  /** Defaults to the client kind. */
  label?: string;
  /**
   * LangChain only: register the client-level `onProgress` hook, which makes the adapter send a
   * progressToken on every call (without it, it sends none) and lets calls pass `onProgress`.
   */
  reportProgress?: boolean;
}

export type ClientKind = "inspector-stdio" | "inspector-http" | "mcp-remote" | "ai-sdk" | "langchain" | "sdk" | "sdk-task";

/** The name the SDK-based drivers (sdk, sdk-task, mcp-remote's local side) send in clientInfo. */
export const SDK_CLIENT_INFO = { name: "gatehouse-test-sdk", version: packageVersion("@modelcontextprotocol/sdk") };

export function outcomeFromResult(result: unknown): ToolOutcome {
  const r = (result ?? {}) as { content?: unknown; isError?: unknown; _meta?: unknown };
  return { text: textOfContent(r.content), isError: r.isError === true, meta: (r._meta as Record<string, unknown> | undefined) ?? null, thrown: null };
}

export function outcomeFromError(error: unknown): ToolOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { text: message, isError: true, meta: null, thrown: message };
}

function textOfContent(content: unknown): string {
  if (typeof content === "string") return content;
  const blocks = Array.isArray(content) ? content : content ? [content] : [];
  return (blocks as Array<{ type?: string; text?: string }>)
    .filter((b) => b.type === "text")
    .map((b) => b.text)
    .join("\n");
}

function refuse(label: string, options: CallOptions | undefined, unsupported: Array<keyof CallOptions>): void {
  for (const key of unsupported) if (options?.[key] !== undefined) throw new Error(`${label} has no way to honour ${key}`);
}

function memoise(step: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= step());
}

/** The SDK Client with its defaults: `client.callTool`. */
export async function openSdkClient(target: HttpTarget | StdioTarget, { label = "sdk" }: OpenOptions = {}): Promise<DrivenClient> {
  const client = new Client(SDK_CLIENT_INFO);
  await client.connect(transportFor(target));
  return {
    label,
    listTools: () => sdkToolNames(client),
    callTool: (name, args, options) => sdkCallTool(client, label, name, args, options),
    close: memoise(() => client.close()),
  };
}

async function sdkToolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

async function sdkCallTool(client: Client, label: string, name: string, args: Record<string, unknown>, options: CallOptions | undefined): Promise<ToolOutcome> {
  refuse(label, options, ["onTask"]);
  try {
    const result = await client.callTool({ name, arguments: args }, CallToolResultSchema, {
      timeout: options?.timeoutMs,
      resetTimeoutOnProgress: options?.resetTimeoutOnProgress,
      onprogress: options?.onProgress,
      signal: options?.signal,
    });
    return outcomeFromResult(result);
  } catch (error) {
    return outcomeFromError(error);
  }
}

/**
 * The SDK Client asking for a task, the spec's way: task-augmented tools/call, tasks/get at the
 * server's pollInterval until the task is terminal, then tasks/result. (The SDK's own
 * `callToolStream` skips tasks/result for a failed task and reports only "Task <id> failed".)
 */
export async function openSdkTaskClient(target: HttpTarget | StdioTarget, { label = "sdk-task" }: OpenOptions = {}): Promise<DrivenClient> {
  const client = new Client(SDK_CLIENT_INFO);
  await client.connect(transportFor(target));
  return {
    label,
    listTools: () => sdkToolNames(client),
    async callTool(name, args, options) {
      refuse(label, options, ["onProgress", "resetTimeoutOnProgress"]);
      const requestOptions = { timeout: options?.timeoutMs, signal: options?.signal };
      try {
        const created = await client.request({ method: "tools/call", params: { name, arguments: args, task: { ttl: TASK_TTL_MS } } }, CreateTaskResultSchema, requestOptions);
        const { taskId } = created.task;
        options?.onTask?.(taskUpdate(created.task));
        // Like the SDK's stream: ask for the status at once, then every pollInterval.
        for (;;) {
          const task = await client.experimental.tasks.getTask(taskId, requestOptions);
          options?.onTask?.(taskUpdate(task));
          if (TERMINAL_TASK_STATUSES.has(task.status)) break;
          await sleep(task.pollInterval ?? 1000, undefined, { signal: options?.signal });
        }
        return outcomeFromResult(await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema, requestOptions));
      } catch (error) {
        return outcomeFromError(error);
      }
    },
    close: memoise(() => client.close()),
  };
}

const TASK_TTL_MS = 10 * 60_000;

function taskUpdate(task: Task): TaskUpdate {
  return { taskId: task.taskId, status: task.status, statusMessage: task.statusMessage };
}
const TERMINAL_TASK_STATUSES = new Set(["completed", "failed", "cancelled"]);

function transportFor(target: HttpTarget | StdioTarget): Transport {
  if ("url" in target) return new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: target.headers } });
  return new StdioClientTransport({ command: target.command, args: target.args, env: target.env, stderr: "pipe" });
}

/** Vercel AI SDK: `createMCPClient` over HTTP, then the tool's `execute`, as `generateText` would call it. */
export async function openAiSdkClient(target: HttpTarget, { label = "ai-sdk" }: OpenOptions = {}): Promise<DrivenClient> {
  const client = await createMCPClient({ transport: { type: "http", url: target.url, headers: target.headers } });
  let tools = await client.tools();
  return {
    label,
    async listTools() {
      tools = await client.tools();
      return Object.keys(tools);
    },
    async callTool(name, args, options) {
      refuse(label, options, ["timeoutMs", "resetTimeoutOnProgress", "onProgress", "onTask"]);
      const tool = tools[name];
      if (!tool?.execute) return outcomeFromError(new Error(`${label}: no tool named ${name}`));
      const execution: ToolExecutionOptions = { toolCallId: `call-${Date.now()}`, messages: [], abortSignal: options?.signal };
      try {
        return outcomeFromResult(await tool.execute(args, execution));
      } catch (error) {
        return outcomeFromError(error);
      }
    },
    close: memoise(() => client.close()),
  };
}

/** LangChain: `MultiServerMCPClient` over HTTP, then `tool.invoke(args)` as an agent would. */
export async function openLangChainClient(target: HttpTarget, { label = "langchain", reportProgress = false }: OpenOptions = {}): Promise<DrivenClient> {
  // The hook is per client, not per call: concurrent calls on one client share the receiver.
  let onProgress: ((progress: Progress) => void) | undefined;
  const client = new MultiServerMCPClient({
    mcpServers: { gatehouse: { transport: "http", url: target.url, headers: target.headers, automaticSSEFallback: false } },
    ...(reportProgress && { onProgress: (progress: unknown) => onProgress?.(progress as Progress) }),
  });
  const tools = await client.getTools();
  return {
    label,
    listTools: async () => (await client.getTools()).map((t) => t.name),
    async callTool(name, args, options) {
      refuse(label, options, reportProgress ? ["resetTimeoutOnProgress", "onTask"] : ["resetTimeoutOnProgress", "onTask", "onProgress"]);
      const tool = tools.find((t) => t.name === name);
      if (!tool) return outcomeFromError(new Error(`${label}: no tool named ${name}`));
      onProgress = options?.onProgress;
      try {
        return outcomeFromLangChain(await tool.invoke(args, { timeout: options?.timeoutMs, signal: options?.signal }));
      } catch (error) {
        return outcomeFromError(error);
      } finally {
        onProgress = undefined;
      }
    },
    close: memoise(() => client.close()),
  };
}

// With one text block and a `_meta`, the adapter returns the block with `meta` beside its text.
function outcomeFromLangChain(value: unknown): ToolOutcome {
  const block = value as { meta?: Record<string, unknown> } | null;
  const meta = block && typeof block === "object" && !Array.isArray(block) ? (block.meta ?? null) : null;
  return { text: textOfContent(value), isError: false, meta, thrown: null };
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

/**
 * How a client reaches a test gateway as one grant: `/mcp` with the grant's token, or a
 * `gatehouse stdio` child on the gateway's config and storage (embedded: the gateway must run with a
 * `dir`, so its database is advertised in `<dir>/data/embedded.json`; Postgres: the same schema).
 */
export function gatewayTargets(gw: TestGateway, grant: { name: string; token: string }): { http: HttpTarget; stdio: StdioTarget } {
  const storage: Record<string, string> = {};
  if (process.env.DATABASE_URL) storage.DATABASE_URL = process.env.DATABASE_URL;
  if (process.env.REDIS_URL) storage.REDIS_URL = process.env.REDIS_URL;
  return {
    http: { url: `${gw.url}/mcp`, headers: { Authorization: `Bearer ${grant.token}` } },
    stdio: {
      command: process.execPath,
      args: [join(PROJECT_ROOT, "bin/gatehouse.js"), "stdio", "--config", gw.configFile, "--grant", grant.name],
      env: { PATH: NODE_ONLY_PATH, LOG_LEVEL: "warn", ...storage },
    },
  };
}

/** Opens one client of the given kind against a gateway reached over HTTP and over `gatehouse stdio`. */
export function openClient(kind: ClientKind, targets: { http: HttpTarget; stdio: StdioTarget }, options: OpenOptions = {}): Promise<DrivenClient> {
  const opened = { label: kind, ...options };
  switch (kind) {
    case "inspector-stdio":
      return openInspectorClient(targets.stdio, opened);
    case "inspector-http":
      return openInspectorClient(targets.http, opened);
    case "mcp-remote":
      return openMcpRemoteClient(targets.http, opened);
    case "ai-sdk":
      return openAiSdkClient(targets.http, opened);
    case "langchain":
      return openLangChainClient(targets.http, opened);
    case "sdk":
      return openSdkClient(targets.http, opened);
    case "sdk-task":
      return openSdkTaskClient(targets.http, opened);
  }
}

export const CLIENT_KINDS: readonly ClientKind[] = ["inspector-stdio", "inspector-http", "mcp-remote", "ai-sdk", "langchain", "sdk", "sdk-task"];

// Real third-party MCP clients behind one interface, so a test can make the same call through each
// and assert on what that client's user would see. The library clients live here, the ones that
// run as processes (Inspector CLI, mcp-remote) in client-processes.ts. Findings: docs/clients.md.
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
import {
  memoise,
  outcomeFromError,
  outcomeFromResult,
  refuse,
  SDK_CLIENT_INFO,
  sdkCallTool,
  sdkToolNames,
  textOfContent,
  type ClientKind,
  type DrivenClient,
  type HttpTarget,
  type OpenOptions,
  type StdioTarget,
  type TaskUpdate,
  type ToolOutcome,
} from "./client-driver.ts";
import { NODE_ONLY_PATH, openInspectorClient, openMcpRemoteClient } from "./client-processes.ts";
import { TEST_ENCRYPTION_KEY, type TestGateway } from "./gateway.ts";

export { outcomeFromError, outcomeFromResult, SDK_CLIENT_INFO, openInspectorClient, openMcpRemoteClient };
export type { CallOptions, ClientKind, DrivenClient, HttpTarget, OpenOptions, StdioTarget, TaskUpdate, ToolOutcome } from "./client-driver.ts";

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
    async cancelTask(taskId) {
      await client.experimental.tasks.cancelTask(taskId);
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
      // The same sealing key as the in-process gateway: both may run calls held on the other.
      env: { PATH: NODE_ONLY_PATH, LOG_LEVEL: "warn", GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...storage },
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

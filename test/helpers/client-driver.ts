// The one shape every driven client has, and how a client's answer becomes a ToolOutcome.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CallToolResultSchema, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { PROJECT_ROOT } from "../../src/config/index.ts";

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
  /** Task client only: tasks/cancel for a task this client created (its id comes through `onTask`). */
  cancelTask?(taskId: string): Promise<void>;
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

export function outcomeFromResult(result: unknown): ToolOutcome {
  const r = (result ?? {}) as { content?: unknown; isError?: unknown; _meta?: unknown };
  return { text: textOfContent(r.content), isError: r.isError === true, meta: (r._meta as Record<string, unknown> | undefined) ?? null, thrown: null };
}

export function outcomeFromError(error: unknown): ToolOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { text: message, isError: true, meta: null, thrown: message };
}

export function textOfContent(content: unknown): string {
  if (typeof content === "string") return content;
  const blocks = Array.isArray(content) ? content : content ? [content] : [];
  return (blocks as Array<{ type?: string; text?: string }>)
    .filter((b) => b.type === "text")
    .map((b) => b.text)
    .join("\n");
}

/** A client that cannot honour an option says so, rather than ignoring it. */
export function refuse(label: string, options: CallOptions | undefined, unsupported: Array<keyof CallOptions>): void {
  for (const key of unsupported) if (options?.[key] !== undefined) throw new Error(`${label} has no way to honour ${key}`);
}

export function memoise(step: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= step());
}

/** The name the SDK-based drivers (sdk, sdk-task, mcp-remote's local side) send in clientInfo. */
export const SDK_CLIENT_INFO = { name: "gatehouse-test-sdk", version: packageVersion("@modelcontextprotocol/sdk") };

export function packageVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}

export async function sdkToolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

/** `client.callTool` with the SDK's own defaults unless the caller overrides them. */
export async function sdkCallTool(client: Client, label: string, name: string, args: Record<string, unknown>, options: CallOptions | undefined): Promise<ToolOutcome> {
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

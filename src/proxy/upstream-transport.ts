// The transport to one upstream: a stdio child (its stderr goes to the log) or Streamable HTTP, whose
// fetch stamps each POST's event stream with the agent request it carries (origin.ts).
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isStdioUpstream, type ResolvedUpstream } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { createNodeFetch } from "./node-fetch.ts";
import { callDirectly, type DirectCalls } from "./upstream-call.ts";
import { createOriginFetch } from "./origin.ts";
import { ModernHttpClientTransport } from "./upstream-modern.ts";

/** One keep-alive pool for every HTTP upstream of this process, kept across reconnects. */
const upstreamFetch = createNodeFetch();

/** `modern`: the upstream refused 2025-11-25 and answers only 2026-07-28 (upstream-modern.ts). */
export function createUpstreamTransport(config: ResolvedUpstream, log: Logger, options: { modern?: boolean } = {}): Transport {
  if (isStdioUpstream(config)) {
    const stdio = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: config.env,
      cwd: config.cwd,
      stderr: "pipe",
    });
    stdio.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) log.info({ stderr: line.slice(0, 2000) }, "upstream stderr");
    });
    return stdio;
  }
  if (options.modern) return new ModernHttpClientTransport(new URL(config.url), config.headers, upstreamFetch);
  return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers }, fetch: createOriginFetch(upstreamFetch) });
}

export function pidOf(transport: Transport): number | null {
  return transport instanceof StdioClientTransport ? transport.pid : null;
}

/** `tools/call` on the pool without the SDK client's layers (upstream-call.ts), for a 2025-11-25 HTTP upstream. */
export function directCallsOn(
  transport: Transport,
  config: ResolvedUpstream,
  notify: (notification: { method: string; params: Record<string, unknown> }) => Promise<void>,
): DirectCalls | null {
  if (isStdioUpstream(config) || !(transport instanceof StreamableHTTPClientTransport)) return null;
  return callDirectly(transport, { url: new URL(config.url), headers: config.headers ?? {}, request: upstreamFetch.request, notify });
}

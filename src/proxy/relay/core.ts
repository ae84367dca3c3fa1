// What every part of the relay shares, and how one client request is forwarded: attributed to the
// session and request it came from, cancelled with it, and with the upstream's progress passed back
// under the client's own token.
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Progress, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { AuditWriter } from "../../audit/index.ts";
import type { Logger } from "../../log/index.ts";
import type { ToolNaming } from "../naming.ts";
import type { PolicySource } from "../policies.ts";
import type { CallOptions, UpstreamConnection } from "../upstream.ts";
import { isRecord } from "./content.ts";
import type { RelaySession, SessionHub } from "./sessions.ts";

export interface RelayCore {
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  policies: PolicySource;
  naming: ToolNaming;
  audit: AuditWriter;
  logger: Logger;
  sessions: SessionHub;
}

export type HandlerExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Options for sending a client's request on to an upstream. */
export function forwardOptions(session: RelaySession, extra: HandlerExtra, params: unknown): CallOptions {
  const meta = isRecord(params) && isRecord(params._meta) ? params._meta : {};
  const token = meta.progressToken;
  const options: CallOptions = { origin: { session: session.key, requestId: extra.requestId }, signal: extra.signal };
  if (typeof token === "string" || typeof token === "number") {
    options.onprogress = (progress: Progress) =>
      void extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken: token } }).catch(() => {});
  }
  return options;
}

/** The client's params for the upstream: its progress token is replaced by the gateway's own when it asked for progress. */
export function forwardParams<P extends Record<string, unknown>>(params: P): P {
  if (!isRecord(params._meta) || !("progressToken" in params._meta)) return params;
  const { progressToken: _token, ...meta } = params._meta;
  const { _meta: _old, ...rest } = params;
  return (Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest) as unknown as P;
}

/** The upstream if it exists and ever said it offers this kind of thing. */
export function upstreamOffering(core: RelayCore, name: string | undefined, capability: "resources" | "prompts"): UpstreamConnection | null {
  const upstream = name === undefined ? undefined : core.upstreams.get(name);
  return upstream && upstream.capabilities()?.[capability] ? upstream : null;
}

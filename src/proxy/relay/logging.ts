// logging/setLevel and notifications/message over one upstream session shared by every agent. The
// upstream is set to the most verbose level any connected session wants (a session that never set one
// wants everything, as an MCP server sends by default), once any session has set a level; each session
// then gets what its own level admits. With one session the upstream runs at exactly that session's
// level and the gateway filters nothing. A message goes where routing.ts says: the session whose request
// it came with, every session when it came with none, nobody when that cannot be told.
import type { LoggingLevel, LoggingMessageNotification } from "@modelcontextprotocol/sdk/types.js";
import type { Origin } from "../origin.ts";
import type { UpstreamConnection } from "../upstream.ts";
import type { RelayCore } from "./core.ts";
import { relayedError } from "./errors.ts";
import type { Route } from "./routing.ts";
import { notifySession, type RelaySession } from "./sessions.ts";

const SEVERITY: readonly LoggingLevel[] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];
const severity = (level: LoggingLevel) => SEVERITY.indexOf(level);

export interface LogRelay {
  setLevel(session: RelaySession, level: LoggingLevel, options: { origin: Origin; signal: AbortSignal }): Promise<void>;
  /** Sessions came or went, or an upstream reconnected: bring every upstream to the level now wanted. */
  sync(): void;
  reconnected(upstream: UpstreamConnection): void;
  deliver(upstream: UpstreamConnection, params: LoggingMessageNotification["params"], route: Route): void;
}

export function createLogRelay(core: RelayCore): LogRelay {
  /** The level each upstream was last told; absent until told (or after a reconnect). */
  const applied = new Map<string, LoggingLevel>();
  const logging = () => [...core.upstreams.values()].filter((u) => u.capabilities()?.logging && u.status().state === "ready");

  function wanted(): LoggingLevel | null {
    const sessions = core.sessions.all();
    if (!sessions.some((s) => s.logLevel !== null)) return null;
    return sessions.map((s) => s.logLevel ?? "debug").reduce((a, b) => (severity(a) <= severity(b) ? a : b));
  }

  async function apply(upstream: UpstreamConnection, level: LoggingLevel, options: { origin?: Origin; signal?: AbortSignal } = {}): Promise<void> {
    await upstream.request({ method: "logging/setLevel", params: { level } }, options);
    applied.set(upstream.name, level);
  }

  function sync(): void {
    const level = wanted();
    if (level === null) return;
    for (const upstream of logging()) {
      if (applied.get(upstream.name) === level) continue;
      void apply(upstream, level).catch((error: unknown) => core.logger.warn({ upstream: upstream.name, err: (error as Error).message }, "logging/setLevel failed"));
    }
  }

  /** Whether the upstream already filters at least as strictly as the session asked; else the gateway filters. */
  function admits(session: RelaySession, upstream: string, level: LoggingLevel): boolean {
    if (session.logLevel === null) return true;
    const upstreamLevel = applied.get(upstream);
    if (upstreamLevel !== undefined && severity(upstreamLevel) >= severity(session.logLevel)) return true;
    return severity(level) >= severity(session.logLevel);
  }

  return {
    async setLevel(session, level, options) {
      session.logLevel = level;
      const target = wanted() ?? level;
      // Every upstream is told, even when its level does not change: that is what a client talking to it directly would see.
      const outcomes = await Promise.allSettled(logging().map((upstream) => apply(upstream, target, options).catch((error: unknown) => Promise.reject(relayedError(error, upstream.name)))));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (failed) throw failed.reason;
    },
    sync,
    reconnected(upstream) {
      applied.delete(upstream.name);
      sync();
    },
    deliver(upstream, params, route) {
      if (route.kind === "ambiguous") {
        core.logger.debug({ upstream: upstream.name }, "log message from an upstream with several sessions' requests in flight; not delivered");
        return;
      }
      const targets = route.kind === "session" ? [core.sessions.get(route.origin.session)].filter((s) => s !== undefined) : core.sessions.all();
      const related = route.kind === "session" ? route.origin.requestId : undefined;
      for (const session of targets) {
        if (admits(session, upstream.name, params.level)) notifySession(session, { method: "notifications/message", params }, related);
      }
    },
  };
}

// Everything MCP offers besides tools, passed between client sessions and upstreams: resources, prompts,
// completions, logging, list changes, and the requests upstreams send their client. Each client session's
// server is attached here when it is created and leaves when it closes; upstream traffic is routed to
// the sessions it concerns. What no policy governs behaves as if the client talked to the upstream.
import { randomUUID } from "node:crypto";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { SetLevelRequestSchema, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { AuditWriter } from "../../audit/index.ts";
import type { Logger } from "../../log/index.ts";
import type { CallerContext } from "../gateway.ts";
import type { ToolNaming } from "../naming.ts";
import { readOrigin, withoutOrigin, type Origin } from "../origin.ts";
import type { PolicySource } from "../policies.ts";
import type { RelayedNotification, UpstreamConnection } from "../upstream.ts";
import { unionOfCapabilities, type RelayedCapabilities } from "./capabilities.ts";
import { createClientRequestRelay } from "./client-requests.ts";
import { exposeToolContent } from "./content.ts";
import type { RelayCore } from "./core.ts";
import { createLogRelay } from "./logging.ts";
import { installPromptHandlers } from "./prompts.ts";
import { installResourceHandlers } from "./resources.ts";
import { routeFromUpstream } from "./routing.ts";
import { createSessionHub, notifySession, type RelaySession } from "./sessions.ts";
import { createSubscriptions } from "./subscriptions.ts";

export type { RelayedCapabilities } from "./capabilities.ts";
export { routeFromUpstream, type Route } from "./routing.ts";

export interface RelayDeps {
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  policies: PolicySource;
  naming: ToolNaming;
  audit: AuditWriter;
  logger: Logger;
}

export interface Relay {
  /** What to offer a new client session: the union of what the upstreams offer. */
  capabilities(): RelayedCapabilities;
  /** Installs the relay's handlers on a new session's server (created with `offered`); it leaves when the server closes. */
  attach(server: Server, offered: RelayedCapabilities, context: () => CallerContext): RelayLink;
  /** Called for every list change sent to sessions (clients without a session hear of it this way). */
  onListChanged(listener: (kind: ListKind) => void): void;
}

export interface RelayLink {
  /** The origin of one request of this session, for what the upstream sends back while answering it. */
  origin(requestId: RequestId): Origin;
  /** A tool result's content, with resource URIs in the form clients see (by the tool's exposed name). */
  exposeToolContent(exposedTool: string, content: unknown): unknown;
}

export type ListKind = "tools" | "resources" | "prompts";
const LIST_CHANGED = { tools: "notifications/tools/list_changed", resources: "notifications/resources/list_changed", prompts: "notifications/prompts/list_changed" } as const;

export function createRelay(deps: RelayDeps): Relay {
  const core: RelayCore = { ...deps, sessions: createSessionHub() };
  const subscriptions = createSubscriptions(core);
  const logs = createLogRelay(core);
  const clientRequests = createClientRequestRelay(core);
  const listChangedListeners: Array<(kind: ListKind) => void> = [];

  function listChanged(kinds: readonly ListKind[]): void {
    for (const session of core.sessions.all()) for (const kind of kinds) notifySession(session, { method: LIST_CHANGED[kind] });
    for (const listener of listChangedListeners) for (const kind of kinds) listener(kind);
  }

  function relayNotification(upstream: UpstreamConnection, notification: RelayedNotification): void {
    switch (notification.method) {
      case "notifications/resources/updated":
        return subscriptions.deliverUpdated(upstream, withoutOrigin(notification.params));
      case "notifications/resources/list_changed":
        return listChanged(["resources"]);
      case "notifications/prompts/list_changed":
        return listChanged(["prompts"]);
      case "notifications/elicitation/complete":
        return clientRequests.deliverElicitationComplete(upstream, notification.params);
      case "notifications/message":
        return logs.deliver(upstream, withoutOrigin(notification.params), routeFromUpstream(readOrigin(notification.params), upstream.inFlight()));
    }
  }

  for (const upstream of deps.upstreams.values()) {
    upstream.setClientRequestHandler(clientRequests.handle);
    upstream.onNotification((notification) => relayNotification(upstream, notification));
    upstream.onToolsChanged(() => listChanged(["tools"]));
    upstream.onConnected(() => {
      logs.reconnected(upstream);
      subscriptions.resubscribe(upstream);
    });
  }
  // A policy reload changes what clients may see of every kind.
  deps.policies.subscribe((_upstream, type) => {
    if (type === "reloaded") listChanged(["tools", "resources", "prompts"]);
  });

  return {
    capabilities: () => unionOfCapabilities(deps.upstreams.values()),
    onListChanged: (listener) => void listChangedListeners.push(listener),
    attach(server, offered, context) {
      const session: RelaySession = { key: randomUUID(), server, context, logLevel: null };
      core.sessions.add(session);
      if (offered.resources) installResourceHandlers(server, offered, session, core, subscriptions);
      installPromptHandlers(server, offered, session, core);
      if (offered.logging) {
        server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
          await logs.setLevel(session, request.params.level, { origin: { session: session.key, requestId: extra.requestId }, signal: extra.signal });
          return {};
        });
      }
      const previous = server.onclose;
      server.onclose = () => {
        previous?.();
        core.sessions.remove(session.key);
        subscriptions.dropSession(session.key);
        clientRequests.dropSession(session.key);
        logs.sync();
      };
      logs.sync();
      return {
        origin: (requestId) => ({ session: session.key, requestId }),
        exposeToolContent(exposedTool, content) {
          const upstream = deps.naming.isPrefixed ? deps.naming.resolve(exposedTool)?.upstream : undefined;
          return upstream === undefined ? content : exposeToolContent(deps.naming, upstream, content);
        },
      };
    },
  };
}

// Resource subscriptions over one shared upstream session: the upstream is subscribed to a URI while at
// least one agent session is, and unsubscribed when the last one leaves (unsubscribes, or its session
// ends). notifications/resources/updated goes only to the sessions subscribed to that URI, and only
// while the policy still lets them read it. After a reconnect the upstream is subscribed again.
import type { Result } from "@modelcontextprotocol/sdk/types.js";
import { decideAccess } from "./access.ts";
import type { RelayCore } from "./core.ts";
import { relayedError } from "./errors.ts";
import { notifySession, type RelaySession } from "./sessions.ts";
import type { CallOptions, UpstreamConnection } from "../upstream.ts";

export interface Subscriptions {
  subscribe(session: RelaySession, upstream: UpstreamConnection, uri: string, params: Record<string, unknown>, options: CallOptions): Promise<Result>;
  unsubscribe(session: RelaySession, upstream: UpstreamConnection, uri: string, params: Record<string, unknown>, options: CallOptions): Promise<Result>;
  dropSession(key: string): void;
  resubscribe(upstream: UpstreamConnection): void;
  deliverUpdated(upstream: UpstreamConnection, params: Record<string, unknown> & { uri: string }): void;
}

export function createSubscriptions(core: RelayCore): Subscriptions {
  /** upstream → its URI → keys of the sessions subscribed. */
  const byUpstream = new Map<string, Map<string, Set<string>>>();
  const subscribersOf = (upstream: string, uri: string) => byUpstream.get(upstream)?.get(uri);

  function add(upstream: string, uri: string, key: string): void {
    const uris = byUpstream.get(upstream) ?? new Map<string, Set<string>>();
    byUpstream.set(upstream, uris);
    const keys = uris.get(uri) ?? new Set<string>();
    uris.set(uri, keys);
    keys.add(key);
  }

  /** Removes the session; true when it was the last subscriber of that URI. */
  function remove(upstream: string, uri: string, key: string): boolean {
    const keys = subscribersOf(upstream, uri);
    if (!keys?.delete(key)) return false;
    if (keys.size > 0) return false;
    byUpstream.get(upstream)?.delete(uri);
    return true;
  }

  function unsubscribeQuietly(upstream: UpstreamConnection, uri: string): void {
    if (upstream.status().state !== "ready") return;
    void upstream.request({ method: "resources/unsubscribe", params: { uri } }).catch((error: unknown) => {
      core.logger.debug({ upstream: upstream.name, err: (error as Error).message }, "resources/unsubscribe failed");
    });
  }

  return {
    async subscribe(session, upstream, uri, params, options) {
      const keys = subscribersOf(upstream.name, uri);
      if (keys && keys.size > 0) {
        keys.add(session.key);
        return {};
      }
      let result: Result;
      try {
        result = await upstream.request({ method: "resources/subscribe", params: { ...params, uri } }, options);
      } catch (error) {
        throw relayedError(error, upstream.name);
      }
      add(upstream.name, uri, session.key);
      return result;
    },
    async unsubscribe(session, upstream, uri, params, options) {
      // Not subscribed here: nothing to undo, and the upstream is not asked (its answer could tell what exists).
      if (!remove(upstream.name, uri, session.key)) return {};
      try {
        return await upstream.request({ method: "resources/unsubscribe", params: { ...params, uri } }, options);
      } catch (error) {
        throw relayedError(error, upstream.name);
      }
    },
    dropSession(key) {
      for (const [name, uris] of byUpstream) {
        const upstream = core.upstreams.get(name);
        for (const uri of [...uris.keys()]) if (remove(name, uri, key) && upstream) unsubscribeQuietly(upstream, uri);
      }
    },
    resubscribe(upstream) {
      for (const uri of byUpstream.get(upstream.name)?.keys() ?? []) {
        void upstream.request({ method: "resources/subscribe", params: { uri } }).catch((error: unknown) => {
          core.logger.warn({ upstream: upstream.name, uri, err: (error as Error).message }, "could not subscribe again after reconnecting");
        });
      }
    },
    deliverUpdated(upstream, params) {
      const keys = subscribersOf(upstream.name, params.uri);
      if (!keys || decideAccess(core.policies, "resource", upstream.name, params.uri).kind !== "allow") return;
      const notification = { method: "notifications/resources/updated" as const, params: { ...params, uri: core.naming.exposedUri(upstream.name, params.uri) } };
      for (const key of keys) {
        const session = core.sessions.get(key);
        if (session) notifySession(session, notification);
      }
    },
  };
}

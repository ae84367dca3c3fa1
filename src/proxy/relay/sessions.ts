// The agent sessions connected to this gateway (HTTP and stdio alike), so that what upstreams send can
// reach them: list changes go to all, resource updates to subscribers, requests to the session they belong to.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { LoggingLevel, RequestId, ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import type { CallerContext } from "../gateway.ts";

export interface RelaySession {
  readonly key: string;
  readonly server: Server;
  context(): CallerContext;
  /** The level this session asked for with logging/setLevel; null until it does. */
  logLevel: LoggingLevel | null;
}

export interface SessionHub {
  add(session: RelaySession): void;
  remove(key: string): void;
  get(key: string): RelaySession | undefined;
  all(): RelaySession[];
}

export function createSessionHub(): SessionHub {
  const sessions = new Map<string, RelaySession>();
  return {
    add: (session) => void sessions.set(session.key, session),
    remove: (key) => void sessions.delete(key),
    get: (key) => sessions.get(key),
    all: () => [...sessions.values()],
  };
}

/**
 * Sends a notification to one session, on the stream of `relatedRequestId` when given and still open,
 * else on the session's own stream. A session whose client did not get the matching capability, or
 * whose connection is gone, simply does not receive it.
 */
export function notifySession(session: RelaySession, notification: ServerNotification, relatedRequestId?: RequestId): void {
  const send = (options?: { relatedRequestId: RequestId }) => {
    try {
      return session.server.notification(notification, options);
    } catch (error) {
      // The SDK refuses synchronously a notification the session's capabilities do not cover.
      return Promise.reject(error as Error);
    }
  };
  const sent = relatedRequestId === undefined ? send() : send({ relatedRequestId }).catch(() => send());
  void sent.catch(() => {});
}

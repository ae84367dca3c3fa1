// The open MCP sessions of /mcp: who owns them, what they are doing, and when they end. A session is
// busy while any of its HTTP responses is open (a POST in flight, a held call, a GET event stream);
// once none is, an idle timer runs, and a session idle for `idleMs` is closed. A grant may hold at
// most `maxPerGrant` sessions, so a client that never sends DELETE cannot pile them up.
import type { ServerResponse } from "node:http";
import type { Grant } from "../grants/index.ts";

/** Why a session ended: the client sent DELETE, it sat idle too long, or the gateway shut down. */
export type SessionCloseReason = "deleted" | "idle" | "shutdown";

/** What the rest of the gateway may know about a session. */
export interface McpSession {
  /** Null until the initialize request has been answered. */
  readonly id: string | null;
  readonly grantId: string;
  readonly grantName: string;
  readonly openedAt: Date;
  /** HTTP responses of this session still open (requests in flight, GET event streams). */
  readonly openResponses: number;
  readonly lastActivityAt: Date;
  /** Null while open. */
  readonly closeReason: SessionCloseReason | null;
}

export interface SessionLimits {
  idleMs: number;
  maxPerGrant: number;
}

/** What a session owns (its transport and server); closed once when the session ends. */
export interface SessionResources {
  close(): Promise<void>;
}

/** A session's bookkeeping handle: the route tells it about requests; it closes itself when idle. */
export interface TrackedSession<R extends SessionResources = SessionResources> extends McpSession {
  readonly resources: R;
  /** Counts `res` as open until it closes; a request arriving cancels the idle timer. */
  trackResponse(res: ServerResponse): void;
  setId(id: string): void;
  /** Memoised: the first reason wins, later calls wait for the same close. */
  close(reason: SessionCloseReason): Promise<void>;
}

export interface SessionRegistry<R extends SessionResources> {
  /** A new session for this grant, or null when the grant is at its limit. */
  open(grant: Grant, resources: R): TrackedSession<R> | null;
  get(id: string): TrackedSession<R> | undefined;
  /** Closes a session whose initialize request was refused (it never got an id; nobody is told). */
  discard(session: TrackedSession<R>): Promise<void>;
  count(): number;
  countFor(grantId: string): number;
  list(): TrackedSession<R>[];
  onClosed(listener: (session: McpSession) => void): () => void;
  closeAll(reason: SessionCloseReason): Promise<void>;
  readonly limits: SessionLimits;
}

export function createSessionRegistry<R extends SessionResources>(limits: SessionLimits, now: () => Date = () => new Date()): SessionRegistry<R> {
  const byId = new Map<string, TrackedSession<R>>();
  const byGrant = new Map<string, Set<TrackedSession<R>>>();
  const closedListeners = new Set<(session: McpSession) => void>();

  function forget(session: TrackedSession<R>): void {
    if (session.id) byId.delete(session.id);
    const owned = byGrant.get(session.grantId);
    owned?.delete(session);
    if (owned?.size === 0) byGrant.delete(session.grantId);
  }

  function open(grant: Grant, resources: R): TrackedSession<R> | null {
    if ((byGrant.get(grant.id)?.size ?? 0) >= limits.maxPerGrant) return null;
    let id: string | null = null;
    let openResponses = 0;
    let lastActivityAt = now();
    let closeReason: SessionCloseReason | null = null;
    let closing: Promise<void> | undefined;
    let idleTimer: NodeJS.Timeout | undefined;

    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => void session.close("idle"), limits.idleMs);
      idleTimer.unref();
    };

    const session: TrackedSession<R> = {
      resources,
      get id() {
        return id;
      },
      grantId: grant.id,
      grantName: grant.name,
      openedAt: now(),
      get openResponses() {
        return openResponses;
      },
      get lastActivityAt() {
        return lastActivityAt;
      },
      get closeReason() {
        return closeReason;
      },
      setId(value) {
        id = value;
        byId.set(value, session);
      },
      trackResponse(res) {
        openResponses += 1;
        lastActivityAt = now();
        clearTimeout(idleTimer);
        res.once("close", () => {
          openResponses -= 1;
          lastActivityAt = now();
          if (openResponses === 0 && closeReason === null) armIdleTimer();
        });
      },
      close(reason) {
        if (closing) return closing;
        closeReason = reason;
        clearTimeout(idleTimer);
        forget(session);
        // Assigned before the resources close: closing the transport calls back into close("deleted").
        closing = Promise.resolve()
          .then(() => resources.close())
          .catch(() => {})
          .then(() => {
            if (id !== null) for (const listener of closedListeners) listener(session);
          });
        return closing;
      },
    };
    const owned = byGrant.get(grant.id) ?? new Set();
    owned.add(session);
    byGrant.set(grant.id, owned);
    return session;
  }

  return {
    open,
    get: (id) => byId.get(id),
    // The client never held this session, so "deleted" is as good a reason as any; it is not observable.
    discard: (session) => session.close("deleted"),
    count: () => byId.size,
    countFor: (grantId) => byGrant.get(grantId)?.size ?? 0,
    list: () => [...byId.values()],
    onClosed(listener) {
      closedListeners.add(listener);
      return () => closedListeners.delete(listener);
    },
    async closeAll(reason) {
      const all = new Set([...byId.values(), ...[...byGrant.values()].flatMap((owned) => [...owned])]);
      await Promise.all([...all].map((session) => session.close(reason)));
    },
    limits,
  };
}

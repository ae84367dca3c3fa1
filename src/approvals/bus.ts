// Wakes whoever waits on an approval when its status changes: an in-process emitter for this
// process, Postgres NOTIFY for the others. Both are best-effort; a sweep of the held approvals' statuses backs them (follow.ts).
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { listenToChannel, schemaChannel, type Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { ApprovalStatus } from "./types.ts";

export interface ApprovalChange {
  id: string;
  status: ApprovalStatus;
  /** The approval was just created (other changes: a transition, a vote, an agent attaching or leaving). */
  isNew?: boolean;
  /** Only whether an agent waits changed (an agent attached or left): what reviewers see, not a task's status. */
  isPresence?: boolean;
}

export interface ApprovalBus {
  publish(change: ApprovalChange): Promise<void>;
  /** Every change. */
  subscribe(listener: (change: ApprovalChange) => void): () => void;
  /** Changes of one approval (a held call waiting on it): found by id, not by asking every listener. */
  subscribeTo(id: string, listener: (change: ApprovalChange) => void): () => void;
  close(): Promise<void>;
}

/**
 * `connectionString: null` (embedded PGlite) keeps notifications in-process: PGlite is one Postgres
 * session shared by every socket connection, and its NOTIFY messages can land on the wrong
 * connection. Other processes on an embedded database find changes by polling.
 */
export function createApprovalBus(database: Database, connectionString: string | null, logger: Logger): ApprovalBus {
  const local = new EventEmitter().setMaxListeners(0);
  const byApproval = new Map<string, Set<(change: ApprovalChange) => void>>();
  const emit = (change: ApprovalChange) => {
    local.emit("change", change);
    const listeners = byApproval.get(change.id);
    if (listeners) for (const listener of [...listeners]) listener(change);
  };
  // Our own NOTIFYs come back on our LISTEN connection; listeners already heard them locally.
  const origin = randomUUID();
  const channel = schemaChannel("gatehouse_approvals", database.schema);
  const listener = connectionString
    ? listenToChannel(
        connectionString,
        channel,
        (payload) => {
          try {
            const { origin: from, ...change } = JSON.parse(payload) as ApprovalChange & { origin?: string };
            if (from !== origin) emit(change);
          } catch {
            // a foreign payload on our channel: ignore
          }
        },
        logger,
      )
    : null;

  return {
    async publish(change) {
      emit(change);
      if (!connectionString) return;
      // Not awaited: the change is committed already and a lost NOTIFY is caught by the sweep, so the
      // caller (a hold being placed, a vote) does not wait a round trip for it.
      void database.pool.query("SELECT pg_notify($1, $2)", [channel, JSON.stringify({ ...change, origin })]).catch(() => {});
    },
    subscribe(fn) {
      local.on("change", fn);
      return () => local.off("change", fn);
    },
    subscribeTo(id, fn) {
      let listeners = byApproval.get(id);
      if (!listeners) byApproval.set(id, (listeners = new Set()));
      listeners.add(fn);
      return () => {
        listeners.delete(fn);
        if (listeners.size === 0 && byApproval.get(id) === listeners) byApproval.delete(id);
      };
    },
    async close() {
      await listener?.close();
    },
  };
}

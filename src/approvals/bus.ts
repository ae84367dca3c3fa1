// Wakes whoever waits on an approval when its status changes: an in-process emitter for this
// process, Postgres NOTIFY for the others. Both are best-effort; waiters also poll the row.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import pg from "pg";
import type { Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { ApprovalStatus } from "./types.ts";

export interface ApprovalChange {
  id: string;
  status: ApprovalStatus;
  /** The approval was just created (other changes: a transition, a vote, an agent attaching or leaving). */
  isNew?: boolean;
}

export interface ApprovalBus {
  publish(change: ApprovalChange): Promise<void>;
  subscribe(listener: (change: ApprovalChange) => void): () => void;
  close(): Promise<void>;
}

/**
 * `connectionString: null` (embedded PGlite) keeps notifications in-process: PGlite is one Postgres
 * session shared by every socket connection, and its NOTIFY messages can land on the wrong
 * connection. Other processes on an embedded database find changes by polling.
 */
export function createApprovalBus(database: Database, connectionString: string | null, logger: Logger): ApprovalBus {
  const local = new EventEmitter().setMaxListeners(0);
  // Our own NOTIFYs come back on our LISTEN connection; listeners already heard them locally.
  const origin = randomUUID();
  const channel = `gatehouse_approvals_${database.schema}`.slice(0, 63).replace(/[^a-z0-9_]/gi, "_");
  let listener: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  let isClosed = false;

  async function listen(): Promise<void> {
    if (isClosed || !connectionString) return;
    const client = new pg.Client({ connectionString });
    client.on("error", () => reconnect(client));
    client.on("end", () => reconnect(client));
    client.on("notification", (message) => {
      if (message.channel !== channel || !message.payload) return;
      try {
        const { origin: from, ...change } = JSON.parse(message.payload) as ApprovalChange & { origin?: string };
        if (from !== origin) local.emit("change", change);
      } catch {
        // a foreign payload on our channel: ignore
      }
    });
    // Set before connecting, so a close() that comes first (a short CLI command) ends this client too.
    listener = client;
    try {
      await client.connect();
      if (isClosed) return void (await client.end().catch(() => {}));
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      logger.debug({ err: (error as Error).message }, "approval LISTEN unavailable; polling only");
      reconnect(client);
    }
  }

  function reconnect(client: pg.Client): void {
    if (listener === client) listener = null;
    client.end().catch(() => {});
    if (isClosed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void listen();
    }, 2_000);
    retry.unref();
  }

  void listen();

  return {
    async publish(change) {
      local.emit("change", change);
      if (!connectionString) return;
      await database.pool.query("SELECT pg_notify($1, $2)", [channel, JSON.stringify({ ...change, origin })]).catch(() => {});
    },
    subscribe(fn) {
      local.on("change", fn);
      return () => local.off("change", fn);
    },
    async close() {
      isClosed = true;
      clearTimeout(retry);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
    },
  };
}

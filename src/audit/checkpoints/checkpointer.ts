// Signs the chain head every N events or M seconds and hands the checkpoint to the sinks. Several
// gateways on one database sign one chain: a transaction-scoped advisory lock lets one of them at a time
// decide, against the audit_checkpoints table, whether a checkpoint is due; the others skip. A gateway
// refuses to sign on top of a chain that no longer holds the previous checkpoint (it was truncated or
// rewritten): it logs the break instead, and `gatehouse audit verify` names it.
import type pg from "pg";
import type { Database } from "../../db/index.ts";
import type { Logger } from "../../log/index.ts";
import type { CheckpointSink } from "./sinks.ts";
import { signCheckpoint, type SignedCheckpoint, type SigningKey } from "./signing.ts";

export interface CheckpointSettings {
  everyEvents: number;
  everySeconds: number;
}

export interface CheckpointerStatus {
  lastCheckpoint: { seq: number; hash: string; at: string } | null;
  /** Why the last attempt failed or refused; null once one succeeds. */
  lastError: string | null;
}

export interface Checkpointer {
  /** Tells the checkpointer that `count` events were committed by this process. */
  noteEvents(count: number): void;
  /** Writes a checkpoint now if the chain moved since the last one (`force`: whether or not one is due). */
  checkpoint(options?: { force?: boolean }): Promise<SignedCheckpoint | null>;
  status(): CheckpointerStatus;
  close(): Promise<void>;
}

/** Advisory lock key (with the schema's hash) that lets one gateway at a time write a checkpoint. */
export const CHECKPOINT_LOCK_KEY = 0x6368_6b70; // "chkp"
const CLOSE_WAIT_MS = 5_000;

interface Head {
  seq: string;
  hash: string;
}

interface LastCheckpoint {
  seq: string;
  hash: string;
  count: string;
  created_at: Date;
}

export function createCheckpointer(deps: {
  database: Database;
  key: SigningKey;
  settings: CheckpointSettings;
  sinks: readonly CheckpointSink[];
  logger: Logger;
  now?: () => Date;
}): Checkpointer {
  const { database, key, settings, sinks, logger } = deps;
  const now = deps.now ?? (() => new Date());
  let eventsSince = 0;
  let running: Promise<SignedCheckpoint | null> | null = null;
  let isClosed = false;
  let closing: Promise<void> | undefined;
  let lastCheckpoint: CheckpointerStatus["lastCheckpoint"] = null;
  let lastError: string | null = null;
  const timer = setInterval(() => void run(false), Math.max(1, settings.everySeconds * 1000));
  timer.unref();

  function run(force: boolean): Promise<SignedCheckpoint | null> {
    if (isClosed) return Promise.resolve(null);
    // One attempt at a time per process; a forced one waits for the current one and then runs.
    if (running) return force ? running.then(() => run(true)) : running;
    running = attempt(force)
      .then((written) => {
        lastError = null;
        return written;
      })
      .catch((error: unknown) => {
        lastError = (error as Error).message;
        logger.error({ err: lastError }, "could not write an audit checkpoint");
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  async function attempt(force: boolean): Promise<SignedCheckpoint | null> {
    const client = await database.pool.connect();
    let written: SignedCheckpoint | null = null;
    try {
      await client.query("BEGIN");
      const locked = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema())) AS ok", [CHECKPOINT_LOCK_KEY]);
      if (locked.rows[0]?.ok) written = await checkpointInTransaction(client, force);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    if (written) {
      eventsSince = 0;
      lastCheckpoint = { seq: written.seq, hash: written.hash, at: written.at };
      for (const sink of sinks) sink.write(written);
    }
    return written;
  }

  async function checkpointInTransaction(client: pg.PoolClient, force: boolean): Promise<SignedCheckpoint | null> {
    const head = (await client.query<Head>("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")).rows[0];
    if (!head) return null;
    const last = (await client.query<LastCheckpoint>("SELECT seq, hash, count, created_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")).rows[0];
    if (last && Number(head.seq) <= Number(last.seq)) {
      if (Number(head.seq) < Number(last.seq)) throw new Error(`the audit chain ends at seq ${head.seq}, before the last checkpoint (seq ${last.seq}): events were deleted; not signing`);
      return null;
    }
    if (last) {
      const stillThere = await client.query<{ hash: string }>("SELECT hash FROM audit_events WHERE seq = $1", [last.seq]);
      if (stillThere.rows[0]?.hash !== last.hash) throw new Error(`the audit chain no longer holds checkpoint seq ${last.seq} with its hash: it was truncated or rewritten; not signing`);
    }
    const added = await client.query<{ n: string }>("SELECT count(*) AS n FROM audit_events WHERE seq > $1 AND seq <= $2", [last?.seq ?? 0, head.seq]);
    const newEvents = Number(added.rows[0]?.n ?? 0);
    const at = now();
    const isDue = force || !last || newEvents >= settings.everyEvents || at.getTime() - last.created_at.getTime() >= settings.everySeconds * 1000;
    if (!isDue) return null;
    const checkpoint = signCheckpoint(key, { seq: Number(head.seq), hash: head.hash, count: Number(last?.count ?? 0) + newEvents, at: at.toISOString() });
    const inserted = await client.query(
      "INSERT INTO audit_checkpoints (seq, hash, count, key_id, signature, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING RETURNING seq",
      [checkpoint.seq, checkpoint.hash, checkpoint.count, checkpoint.keyId, checkpoint.signature, checkpoint.at],
    );
    return inserted.rowCount === 1 ? checkpoint : null;
  }

  return {
    noteEvents(count) {
      eventsSince += count;
      if (eventsSince >= settings.everyEvents) void run(false);
    },
    checkpoint: (options = {}) => run(options.force ?? false),
    status: () => ({ lastCheckpoint, lastError }),
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        // A last checkpoint covers the newest events (the writer has drained by now), bounded in time.
        const last = run(true);
        isClosed = true;
        await within(last, CLOSE_WAIT_MS);
        await Promise.all(sinks.map(async (sink) => {
          await within(sink.flush(), CLOSE_WAIT_MS);
          await sink.close();
        }));
      })()),
  };
}

function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

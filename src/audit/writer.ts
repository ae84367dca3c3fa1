// Group commit for the audit log. `record` resolves only once its rows are COMMITTED, so the gateway can
// await it before acknowledging a call. One batch is in flight (MAX_IN_FLIGHT past maxBatch); whatever arrives
// meanwhile forms the next batch, so batching grows with load and adds no timer latency when idle
// (`recordLater`, for rows nobody waits on, waits up to LATER_MS for a batch to join). Fails closed: a
// failed commit or a full buffer rejects with `audit_unavailable`, and the process carries on.
import type { Database } from "../db/index.ts";
import { GatewayError } from "../errors.ts";
import { commitBatch, headAfter } from "./commit.ts";
import { prepareEntry, type AuditEntry, type PreparedEntry } from "./entry.ts";

export interface AuditWriter {
  record(entry: AuditEntry): Promise<void>;
  /**
   * For an entry nobody waits on (a forwarded call's outcome): it rides with the next batch `record`
   * starts, or is committed on its own after LATER_MS. Resolves once committed, like `record`.
   */
  recordLater(entry: AuditEntry): Promise<void>;
  /** Resolves once every entry recorded so far has committed or failed (never rejects). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditWriterStatus {
  /** Entries waiting or in the batch being committed. */
  pending: number;
  /** How long the oldest of those has waited; 0 when none waits. */
  oldestPendingSeconds: number;
  lastCommitAt: Date | null;
  /** Why the last batch failed; null once a batch commits again. */
  lastError: string | null;
  /** Committed transactions and the entries they carried: entries per batch shows group commit at work. */
  batchesCommitted: number;
  entriesCommitted: number;
}

export interface AuditWriterOptions {
  database: Database;
  /** Entries allowed to wait; beyond this `record` rejects at once (Postgres down or far behind). */
  maxPending?: number;
  /** Largest batch per transaction. */
  maxBatch?: number;
  /** A batch with no answer for this long is abandoned (connection dropped, so it rolls back). */
  commitTimeoutMs?: number;
  now?: () => Date;
  /** Told how each entry ended: committed (after waiting so long since `record`) or failed. For metrics. */
  observer?: AuditWriteObserver;
  /** Called after each committed batch with its size (the checkpointer counts events with it). */
  onCommit?: (entries: number) => void;
}

export interface AuditWriteObserver {
  committed(waitedSeconds: number): void;
  failed(entries: number): void;
}

interface Waiting {
  entry: PreparedEntry;
  /** performance.now() when it was recorded. */
  recordedAt: number;
  resolve: () => void;
  reject: (error: GatewayError) => void;
}

/** Batches committed at once (see drain). */
const MAX_IN_FLIGHT = 2;

/**
 * How long an entry recorded with `recordLater` waits for a batch to ride with. One call at a time, a
 * call's outcome then joins the next call's decision in one commit instead of committing just before it
 * (the decision waited for that commit: the chain lock orders them).
 */
export const LATER_MS = 25;

export function createAuditWriter(options: AuditWriterOptions): AuditWriter & { status(): AuditWriterStatus } {
  const { database, maxPending = 10_000, maxBatch = 500, commitTimeoutMs = 15_000, now = () => new Date(), observer, onCommit } = options;
  const queue: Waiting[] = [];
  /** Recorded with recordLater, not yet in the queue. */
  let later: Waiting[] = [];
  let laterTimer: NodeJS.Timeout | undefined;
  // Where the chain ends once the batches sent so far commit; null when unknown (start, after a failure).
  let predictedHead: string | null = null;
  /** Batches being committed, oldest first. */
  const inFlight: Waiting[][] = [];
  const pendingCount = () => queue.length + later.length + inFlight.reduce((sum, batch) => sum + batch.length, 0);
  let isDraining = false;
  let lastDrain: Promise<void> = Promise.resolve();
  let isClosed = false;
  let closing: Promise<void> | undefined;
  let lastCommitAt: Date | null = null;
  let lastError: string | null = null;
  let batchesCommitted = 0;
  let entriesCommitted = 0;

  function record(entry: AuditEntry): Promise<void> {
    return enqueue(entry, true);
  }

  function recordLater(entry: AuditEntry): Promise<void> {
    return enqueue(entry, false);
  }

  function enqueue(entry: AuditEntry, isNow: boolean): Promise<void> {
    if (isClosed) return Promise.reject(new GatewayError("audit_unavailable", "The audit writer is closed."));
    if (pendingCount() >= maxPending) {
      observer?.failed(1);
      return Promise.reject(
        new GatewayError("audit_unavailable", `Audit buffer full: ${maxPending} entries are waiting to be committed (${lastError ?? "database too slow"}).`, {
          retryable: true,
          context: { pending: pendingCount() },
        }),
      );
    }
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(entry, now());
    } catch (error) {
      return Promise.reject(new GatewayError("internal", `Invalid audit entry: ${(error as Error).message}`, { cause: error }));
    }
    return new Promise<void>((resolve, reject) => {
      const waiting = { entry: prepared, recordedAt: performance.now(), resolve, reject };
      // A batch already waiting to be sent takes it at no cost.
      if (!isNow && queue.length === 0) {
        later.push(waiting);
        laterTimer ??= setTimeout(flushLater, LATER_MS).unref();
        return;
      }
      // In the order recorded: what waited for a ride goes first.
      flushLater();
      queue.push(waiting);
      startDrain();
    });
  }

  function flushLater(): void {
    clearTimeout(laterTimer);
    laterTimer = undefined;
    if (later.length === 0) return;
    queue.push(...later);
    later = [];
    startDrain();
  }

  function startDrain(): void {
    if (isDraining) return;
    isDraining = true;
    // A microtask, so records made in the same tick share the first batch.
    lastDrain = Promise.resolve().then(drain);
  }

  // Up to MAX_IN_FLIGHT batches are committed at once, each chained on where the one before it will end:
  // the database's chain lock orders them, and a batch whose predecessor failed finds the head it
  // expected missing and is chained again on the real one (commit.ts). The loop forms the next batch when
  // one comes back, so a second is in flight only when more than maxBatch entries wait (sending one for
  // every arrival was measured slower: more, smaller transactions).
  async function drain(): Promise<void> {
    const running = new Set<Promise<void>>();
    try {
      while (queue.length > 0 || running.size > 0) {
        while (queue.length > 0 && running.size < MAX_IN_FLIGHT) {
          const batch = queue.splice(0, maxBatch);
          const entries = batch.map((w) => w.entry);
          const expected = predictedHead;
          const predicted = headAfter(entries, expected);
          predictedHead = predicted;
          const done = commit(batch, entries, expected, predicted).finally(() => running.delete(done));
          running.add(done);
        }
        await Promise.race(running);
      }
    } finally {
      // Synchronous with the emptiness check above: a record arriving later starts a new drain.
      isDraining = false;
    }
  }

  async function commit(batch: Waiting[], entries: PreparedEntry[], expected: string | null, predicted: string): Promise<void> {
    inFlight.push(batch);
    try {
      const head = await commitBatch(database, entries, commitTimeoutMs, expected);
      // Chained again on another writer's head: what was predicted after it is stale.
      if (head !== predicted && inFlight.at(-1) === batch) predictedHead = head;
      lastCommitAt = new Date();
      lastError = null;
      batchesCommitted++;
      entriesCommitted += batch.length;
      if (observer) {
        const committedAt = performance.now();
        for (const waiting of batch) observer.committed((committedAt - waiting.recordedAt) / 1000);
      }
      for (const waiting of batch) waiting.resolve();
      onCommit?.(batch.length);
    } catch (error) {
      predictedHead = null;
      lastError = error instanceof Error ? error.message : String(error);
      const failure = new GatewayError("audit_unavailable", `Audit log unavailable: could not commit ${batch.length} audit entries (${lastError}).`, {
        retryable: true,
        cause: error,
      });
      observer?.failed(batch.length);
      for (const waiting of batch) waiting.reject(failure);
      refuseWaiting();
    } finally {
      inFlight.splice(inFlight.indexOf(batch), 1);
    }
  }

  // What waits behind a failed commit would meet the same database: refused now, not sent. Against a
  // database that does not answer, a queue of thousands then costs one commit timeout, not one per batch.
  // Entries recorded after this try again.
  function refuseWaiting(): void {
    clearTimeout(laterTimer);
    laterTimer = undefined;
    const behind = [...queue.splice(0), ...later.splice(0)];
    if (behind.length === 0) return;
    const failure = new GatewayError("audit_unavailable", `Audit log unavailable: not written, because the commit before it failed (${lastError}).`, { retryable: true });
    observer?.failed(behind.length);
    for (const waiting of behind) waiting.reject(failure);
  }

  function close(): Promise<void> {
    flushLater();
    isClosed = true;
    return (closing ??= lastDrain);
  }

  function settled(): Promise<void> {
    flushLater();
    return lastDrain;
  }

  function status(): AuditWriterStatus {
    const waitingSince = [queue[0]?.recordedAt, later[0]?.recordedAt].filter((at) => at !== undefined);
    const oldest = inFlight[0]?.[0]?.recordedAt ?? (waitingSince.length > 0 ? Math.min(...waitingSince) : undefined);
    const oldestPendingSeconds = oldest === undefined ? 0 : (performance.now() - oldest) / 1000;
    return { pending: pendingCount(), oldestPendingSeconds, lastCommitAt, lastError, batchesCommitted, entriesCommitted };
  }

  return { record, recordLater, settled, close, status };
}

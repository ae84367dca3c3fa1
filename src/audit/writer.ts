// Group commit for the audit log. `record` resolves only once its rows are COMMITTED, so the gateway can
// await it before acknowledging a call. At most one batch is in flight; whatever arrives meanwhile forms
// the next batch, so batching grows with load and adds no timer latency when idle. Fails closed: a failed
// commit or a full buffer rejects with `audit_unavailable`, and the process carries on.
import type { Database } from "../db/index.ts";
import { GatewayError } from "../errors.ts";
import { commitBatch, type ChainHead } from "./commit.ts";
import { prepareEntry, type AuditEntry, type PreparedEntry } from "./entry.ts";

export interface AuditWriter {
  record(entry: AuditEntry): Promise<void>;
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

export function createAuditWriter(options: AuditWriterOptions): AuditWriter & { status(): AuditWriterStatus } {
  const { database, maxPending = 10_000, maxBatch = 500, commitTimeoutMs = 15_000, now = () => new Date(), observer, onCommit } = options;
  const queue: Waiting[] = [];
  const head: ChainHead = { hash: null };
  let inFlight = 0;
  let inFlightSince: number | null = null;
  let isDraining = false;
  let lastDrain: Promise<void> = Promise.resolve();
  let isClosed = false;
  let closing: Promise<void> | undefined;
  let lastCommitAt: Date | null = null;
  let lastError: string | null = null;
  let batchesCommitted = 0;
  let entriesCommitted = 0;

  function record(entry: AuditEntry): Promise<void> {
    if (isClosed) return Promise.reject(new GatewayError("audit_unavailable", "The audit writer is closed."));
    if (queue.length + inFlight >= maxPending) {
      observer?.failed(1);
      return Promise.reject(
        new GatewayError("audit_unavailable", `Audit buffer full: ${maxPending} entries are waiting to be committed (${lastError ?? "database too slow"}).`, {
          retryable: true,
          context: { pending: queue.length + inFlight },
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
      queue.push({ entry: prepared, recordedAt: performance.now(), resolve, reject });
      if (!isDraining) {
        isDraining = true;
        // A microtask, so records made in the same tick share the first batch.
        lastDrain = Promise.resolve().then(drain);
      }
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        inFlight = batch.length;
        inFlightSince = batch[0]?.recordedAt ?? null;
        try {
          await commitBatch(
            database,
            batch.map((w) => w.entry),
            commitTimeoutMs,
            head,
          );
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
          lastError = error instanceof Error ? error.message : String(error);
          const failure = new GatewayError("audit_unavailable", `Audit log unavailable: could not commit ${batch.length} audit entries (${lastError}).`, {
            retryable: true,
            cause: error,
          });
          observer?.failed(batch.length);
          for (const waiting of batch) waiting.reject(failure);
        } finally {
          inFlight = 0;
          inFlightSince = null;
        }
      }
    } finally {
      // Synchronous with the emptiness check above: a record arriving later starts a new drain.
      isDraining = false;
    }
  }

  function close(): Promise<void> {
    isClosed = true;
    return (closing ??= lastDrain);
  }

  function status(): AuditWriterStatus {
    const oldest = inFlightSince ?? queue[0]?.recordedAt;
    const oldestPendingSeconds = oldest === undefined ? 0 : (performance.now() - oldest) / 1000;
    return { pending: queue.length + inFlight, oldestPendingSeconds, lastCommitAt, lastError, batchesCommitted, entriesCommitted };
  }

  return { record, settled: () => lastDrain, close, status };
}

// BullMQ on either backend behind one small surface, so the approval queues never branch on Redis vs
// PostgreSQL. Every Queue and Worker owns its connections (BullMQ closes what it creates): nothing is
// shared with the rate-limit Redis client or the drizzle pool.
import {
  LATEST_SCHEMA_VERSION,
  Queue,
  SchemaMigrationRequiredError,
  Worker,
  assertSchemaCompatibility,
  createPostgresBackend,
  runMigrations,
  withBackend,
  type Job,
  type JobsOptions,
  type PostgresConnectionOptions,
  type WorkerOptions,
} from "bullmq";
import pg from "pg";

export type QueueBackendConfig =
  | { kind: "redis"; url: string; prefix: string }
  | { kind: "postgres"; url: string; schema: string };

export interface ApprovalJobData {
  approvalId: string;
}

/** The part of a BullMQ Queue the approval queues use. */
export interface JobQueue {
  add(name: string, data: ApprovalJobData, opts: JobsOptions): Promise<Job<ApprovalJobData>>;
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
  /** Drops the connections at once (a close that cannot finish while the backend is down). */
  disconnect(): Promise<void>;
}

/** The part of a BullMQ Worker the approval queues use. */
export interface JobWorker {
  on(event: "completed", listener: (job: Job<ApprovalJobData>) => void): unknown;
  on(event: "failed", listener: (job: Job<ApprovalJobData> | undefined, error: Error) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  /** `force`: do not wait for running jobs (a graceful close waits forever while Redis is down). */
  close(force?: boolean): Promise<void>;
  /** Starts taking jobs (for a worker opened with `autorun: false`); settles when the worker closes. */
  run(): Promise<void>;
  disconnect(): Promise<void>;
}

export type JobProcessor = (job: Job<ApprovalJobData>) => Promise<unknown>;
export type WorkerTuning = Pick<WorkerOptions, "concurrency" | "drainDelay" | "settings" | "autorun">;

export interface QueueFactory {
  /** True on PGlite: its NOTIFYs never reach BullMQ's LISTEN connection, so idle workers poll. */
  isPolling: boolean;
  openQueue(name: string): JobQueue;
  openWorker(name: string, processor: JobProcessor, tuning: WorkerTuning): JobWorker;
  /** Closes a worker whose jobs have finished (or run out of time to). */
  closeWorker(worker: JobWorker): Promise<void>;
}

// Pool sizes per BullMQ object: LISTEN has its own connection, and PGlite serves one query at a time anyway.
const QUEUE_POOL_MAX = 2;
const WORKER_POOL_MAX = 3;

export async function createQueueFactory(config: QueueBackendConfig): Promise<QueueFactory> {
  if (config.kind === "redis") {
    // Producers fail fast while Redis is down (the approval row is already committed and decidable
    // elsewhere) instead of queueing commands that a QUIT at shutdown would wait behind.
    const producer = { url: config.url, enableOfflineQueue: false };
    // Workers block on BZPOPMIN: ioredis must retry forever rather than fail a command mid-outage.
    const consumer = { url: config.url, maxRetriesPerRequest: null };
    return {
      isPolling: false,
      openQueue: (name) => new Queue<ApprovalJobData>(name, { connection: producer, prefix: config.prefix }),
      openWorker: (name, processor, tuning) => new Worker<ApprovalJobData>(name, processor, { autorun: true, ...tuning, connection: consumer, prefix: config.prefix }),
      // A graceful close waits for the blocking connection to report "end", which ioredis never does
      // while Redis is down; forcing skips that wait (running jobs were already waited for).
      closeWorker: (worker) => worker.close(true),
    };
  }
  // Migrated once here, on one session: every Queue and Worker migrating on its own start costs a round of
  // schema checks, locks and DDL each (a few hundred milliseconds of an embedded start).
  const isPglite = await prepareSchema(config.url, config.schema);
  const connection = (max: number): PostgresConnectionOptions => ({
    connectionString: config.url,
    schema: config.schema,
    migrate: false,
    max,
    connectionTimeoutMillis: 5_000,
  });
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  return {
    isPolling: isPglite,
    openQueue: (name) => new PgQueue<ApprovalJobData>(name, { connection: connection(QUEUE_POOL_MAX) }),
    openWorker: (name, processor, tuning) => new PgWorker<ApprovalJobData>(name, processor, { autorun: true, ...tuning, connection: connection(WORKER_POOL_MAX) }),
    // Graceful: it cancels the LISTEN wait at once (a forced close leaves its timer running up to drainDelay).
    closeWorker: (worker) => worker.close(),
  };
}

/** Brings `schema` to BullMQ's current version (one read when it is there already); true when the server is PGlite. */
async function prepareSchema(url: string, schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    const version = await assertSchemaCompatibility(client, schema).catch((error: unknown) => {
      if (error instanceof SchemaMigrationRequiredError) return 0;
      throw error;
    });
    if (version < LATEST_SCHEMA_VERSION) await runMigrations(client, schema);
    const { rows } = await client.query<{ version: string }>("SELECT version() AS version");
    return rows[0]?.version.includes("PGlite") ?? false;
  } finally {
    await client.end().catch(() => {});
  }
}

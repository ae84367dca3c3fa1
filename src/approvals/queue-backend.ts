// BullMQ on either backend behind one small surface, so the approval queues never branch on Redis vs
// PostgreSQL. Every Queue and Worker owns its connections (BullMQ closes what it creates): nothing is
// shared with the rate-limit Redis client or the drizzle pool.
import { Queue, Worker, createPostgresBackend, withBackend, type Job, type JobsOptions, type PostgresConnectionOptions, type WorkerOptions } from "bullmq";
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
  on(event: "failed", listener: (job: Job<ApprovalJobData> | undefined, error: Error) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  /** `force`: do not wait for running jobs. */
  close(force?: boolean): Promise<void>;
  disconnect(): Promise<void>;
}

export type JobProcessor = (job: Job<ApprovalJobData>) => Promise<unknown>;
export type WorkerTuning = Pick<WorkerOptions, "concurrency" | "drainDelay" | "settings">;

export interface QueueFactory {
  /** True on PGlite: its NOTIFYs never reach BullMQ's LISTEN connection, so idle workers poll. */
  isPolling: boolean;
  openQueue(name: string): JobQueue;
  openWorker(name: string, processor: JobProcessor, tuning: WorkerTuning): JobWorker;
  /** Called when closing starts: a connection that is down stops reconnecting, so close() can finish. */
  stopReconnecting(): void;
}

// Pool sizes per BullMQ object: LISTEN has its own connection, and PGlite serves one query at a time anyway.
const QUEUE_POOL_MAX = 2;
const WORKER_POOL_MAX = 3;

export async function createQueueFactory(config: QueueBackendConfig): Promise<QueueFactory> {
  if (config.kind === "redis") {
    let isClosing = false;
    const connection = {
      url: config.url,
      // Workers block on BZPOPMIN: ioredis must retry forever rather than fail a command mid-outage.
      maxRetriesPerRequest: null,
      // Also used by the connections BullMQ duplicates. Ending a client that is between attempts is
      // the only way to get ioredis to report "end", which a pending QUIT/close waits for.
      retryStrategy: (times: number) => (isClosing ? null : Math.min(1_000 * times, 5_000)),
    };
    return {
      isPolling: false,
      stopReconnecting: () => {
        isClosing = true;
      },
      openQueue: (name) => new Queue<ApprovalJobData>(name, { connection, prefix: config.prefix }),
      openWorker: (name, processor, tuning) => new Worker<ApprovalJobData>(name, processor, { ...tuning, connection, prefix: config.prefix, autorun: true }),
    };
  }
  const isPglite = await isPgliteServer(config.url);
  const connection = (max: number): PostgresConnectionOptions => ({
    connectionString: config.url,
    schema: config.schema,
    migrate: true,
    max,
    connectionTimeoutMillis: 5_000,
  });
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  return {
    isPolling: isPglite,
    stopReconnecting: () => {},
    openQueue: (name) => new PgQueue<ApprovalJobData>(name, { connection: connection(QUEUE_POOL_MAX) }),
    openWorker: (name, processor, tuning) => new PgWorker<ApprovalJobData>(name, processor, { ...tuning, connection: connection(WORKER_POOL_MAX), autorun: true }),
  };
}

async function isPgliteServer(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>("SELECT version() AS version");
    return rows[0]?.version.includes("PGlite") ?? false;
  } finally {
    await client.end().catch(() => {});
  }
}

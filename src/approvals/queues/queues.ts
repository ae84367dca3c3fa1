// The approval queues: notify (post the reviewer message), update (rewrite it for the current state)
// and expire (a delayed job at the deadline). Workers run in this process. Job ids are derived from the
// approval, so asking twice is harmless; the approval row in Postgres stays the only source of truth.
import type { Job, JobsOptions } from "bullmq";
import { withinDeadline } from "../../db/index.ts";
import { GatewayError } from "../../errors.ts";
import type { Logger } from "../../log/index.ts";
import { redactUrl } from "../../redis/index.ts";
import { closeOrDisconnect, createInFlightJobs, settleAll, withTimeout } from "./lifecycle.ts";
import { createQueueFactory, type ApprovalJobData, type JobQueue, type JobWorker, type QueueBackendConfig, type QueueFactory } from "./backend.ts";
import {
  DEFAULT_RETRY,
  backoffDelay,
  expireApproval,
  postApprovalMessage,
  updateApprovalMessage,
  updateJobId,
  type ApprovalJobEvent,
  type ApprovalJobOutcome,
  type ApprovalQueueKind,
  type JobDeps,
  type RetryPolicy,
} from "./jobs.ts";
import type { ApprovalService } from "../service-types.ts";
import type { Approval, ApprovalNotifier } from "../types.ts";

export type { ApprovalJobEvent, ApprovalJobOutcome, ApprovalQueueKind, QueueBackendConfig, RetryPolicy };

export const APPROVAL_QUEUE_NAMES: Readonly<Record<ApprovalQueueKind, string>> = {
  notify: "approval-notify",
  update: "approval-update",
  expire: "approval-expire",
};

export interface ApprovalQueueDeps {
  backend: QueueBackendConfig;
  service: Pick<ApprovalService, "get" | "expire" | "setSlackMessage" | "markSlackShown">;
  /** null when Slack is not configured: notify/update are no-ops, expiry still runs. */
  notifier: ApprovalNotifier | null;
  logger: Logger;
  onExpired?: (id: string) => void;
  onPosted?: (id: string) => void;
  /** Every finished attempt (success, skip, retry, final failure): metrics and tests. */
  onJobEvent?: (event: ApprovalJobEvent) => void;
  /** Defaults to 12 attempts, doubling from 1 s, capped at 5 min. */
  retry?: Partial<RetryPolicy>;
  /** How long a request may wait for an unreachable queue backend before it rejects (default 5 s). */
  enqueueTimeoutMs?: number;
  /** How long start-up may wait for the backend (default 15 s). */
  startTimeoutMs?: number;
  /** How long close() waits for running jobs, and then for each connection to close (default 10 s). */
  closeTimeoutMs?: number;
  /**
   * Workers take jobs only once startWorkers() is called: a gateway starts them when it listens, so their
   * first polls and stalled-job sweeps do not queue ahead of its own start-up (on PGlite, one session).
   */
  isWorkerStartDeferred?: boolean;
}

export interface ApprovalQueues {
  /** `isNew`: the approval was created this moment, so no earlier job of its id can exist. */
  requestNotification(approval: Approval, options?: { isNew?: boolean }): Promise<void>;
  requestUpdate(approval: Approval): Promise<void>;
  /** Rewrites a message the reaper found behind its approval (its update job was lost or ran out of retries). */
  requestResync(approval: Approval): Promise<void>;
  scheduleExpiry(approval: Approval): Promise<void>;
  /** Starts the workers of queues opened with `isWorkerStartDeferred` (a no-op otherwise, and when called again). */
  startWorkers(): void;
  close(): Promise<void>;
}

const CUSTOM_BACKOFF = "gatehouse";
// Finished jobs are kept so that re-adding the same job id stays a no-op for a day.
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };
const CONCURRENCY = 4;
// Workers on PGlite are not woken by NOTIFY (see backend.ts): this is how often they look for work.
const PGLITE_POLL_SECONDS = 1;

export async function createApprovalQueues(deps: ApprovalQueueDeps): Promise<ApprovalQueues> {
  const { logger, notifier } = deps;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry };
  const enqueueTimeoutMs = deps.enqueueTimeoutMs ?? 5_000;
  const where = describeBackend(deps.backend);
  const jobOptions: JobsOptions = {
    attempts: retry.attempts,
    backoff: { type: CUSTOM_BACKOFF },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };

  let factory: QueueFactory;
  try {
    factory = await createQueueFactory(deps.backend);
  } catch (cause) {
    throw unavailable(where, cause);
  }
  const queues = new Map<ApprovalQueueKind, JobQueue>();
  const workers: JobWorker[] = [];

  const inFlight = createInFlightJobs();
  let areWorkersStarted = false;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closeTimeoutMs = deps.closeTimeoutMs ?? 10_000;
      // Let running jobs finish (a Slack post in flight); one cut short is retried after its lock lapses.
      if (!(await inFlight.whenIdle(closeTimeoutMs))) logger.warn("approval jobs still running at shutdown; they will be retried");
      // Workers before queues: a finishing job may still enqueue an update.
      await settleAll(workers.map((w) => () => closeOrDisconnect(w, () => factory.closeWorker(w), closeTimeoutMs)), logger, "approval worker close failed");
      await settleAll([...queues.values()].map((q) => () => closeOrDisconnect(q, () => q.close(), closeTimeoutMs)), logger, "approval queue close failed");
    })());

  /**
   * Adds the job unless one with its id exists. `mayHaveFailed`: a job of that id may have run out of
   * retries before (a request asked again); it is then retried. A job of an approval created this moment
   * cannot have, and skips that check (a round trip to the queue backend per held call).
   */
  async function enqueue(kind: ApprovalQueueKind, jobId: string, approvalId: string, extra: JobsOptions = {}, mayHaveFailed = true): Promise<void> {
    // A closed queue never answers: without this, a late request would hold a stopping process for enqueueTimeoutMs.
    if (closing) throw new GatewayError("storage_unavailable", `Cannot queue the ${kind} job for approval ${approvalId}: the approval queues are closed (the gateway is stopping).`);
    const queue = queues.get(kind)!;
    const work = (async () => {
      const job = await queue.add(kind, { approvalId }, { ...jobOptions, ...extra, jobId });
      // The same id after its retries ran out (a long Slack outage): asking again means try again.
      if (mayHaveFailed && (await job.getState()) === "failed") await job.retry("failed");
    })();
    try {
      // Responsive time (db/deadline.ts): a burst of held calls keeping the loop busy is not the store's silence.
      await withinDeadline(work, enqueueTimeoutMs, () => new Error(`no answer within ${enqueueTimeoutMs} ms`));
    } catch (cause) {
      throw new GatewayError("storage_unavailable", `Cannot queue the ${kind} job for approval ${approvalId} on ${where}: ${(cause as Error).message}`, {
        cause,
        retryable: true,
      });
    }
  }

  const requestUpdate = async (approval: Approval) => {
    if (!notifier) return;
    await enqueue("update", updateJobId(approval), approval.id);
  };

  const jobDeps: JobDeps = { service: deps.service, notifier, requestUpdate, onExpired: deps.onExpired, onPosted: deps.onPosted };
  const processors: Record<ApprovalQueueKind, (id: string) => Promise<ApprovalJobOutcome>> = {
    notify: (id) => postApprovalMessage(jobDeps, id),
    update: (id) => updateApprovalMessage(jobDeps, id),
    expire: (id) => expireApproval(jobDeps, id),
  };

  const report = (event: ApprovalJobEvent) => {
    try {
      deps.onJobEvent?.(event);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, "approval job event listener failed");
    }
  };

  try {
    for (const kind of ["notify", "update", "expire"] as const) {
      const name = APPROVAL_QUEUE_NAMES[kind];
      const queue = factory.openQueue(name);
      queues.set(kind, queue);
      queue.on("error", (error) => logger.warn({ queue: name, err: error.message }, "approval queue error"));
      const worker = factory.openWorker(
        name,
        async (job: Job<ApprovalJobData>) => {
          inFlight.started(`${kind}/${job.id}`);
          const outcome = await processors[kind](job.data.approvalId);
          report({ queue: kind, approvalId: job.data.approvalId, outcome });
          return outcome;
        },
        {
          concurrency: CONCURRENCY,
          autorun: !deps.isWorkerStartDeferred,
          ...(factory.isPolling ? { drainDelay: PGLITE_POLL_SECONDS } : {}),
          settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(retry, attemptsMade) },
        },
      );
      workers.push(worker);
      worker.on("error", (error) => logger.warn({ queue: name, err: error.message }, "approval queue worker error"));
      worker.on("completed", (job) => inFlight.finished(`${kind}/${job.id}`));
      worker.on("failed", (job, error) => {
        if (!job) return;
        inFlight.finished(`${kind}/${job.id}`);
        const isFinal = job.attemptsMade >= (job.opts.attempts ?? 1);
        const event = { queue: kind, approvalId: job.data.approvalId, err: error.message, attempt: job.attemptsMade };
        if (isFinal) logger.error(event, "approval job failed for good; the approval stays pending");
        else logger.warn(event, "approval job failed; retrying with backoff");
        report({ queue: kind, approvalId: job.data.approvalId, outcome: isFinal ? "failed" : "retrying", error: error.message });
      });
    }
    // Every queue and worker has its connection and has checked the schema before start-up goes on (BullMQ
    // holds a pool client while it does, and a database blip in that moment is fatal to the process: it is
    // better met during start-up than after the banner). Deferred workers take jobs from startWorkers().
    const ready = Promise.all([...queues.values(), ...workers].map((item) => item.waitUntilReady()));
    await withTimeout(ready, deps.startTimeoutMs ?? 15_000, () => new Error("timed out"));
  } catch (cause) {
    await close();
    throw unavailable(where, cause);
  }

  return {
    requestNotification: async (approval, options) => {
      if (!notifier) return;
      await enqueue("notify", approval.id, approval.id, {}, !options?.isNew);
    },
    requestUpdate,
    requestResync: async (approval) => {
      if (!notifier) return;
      await enqueue("update", `${updateJobId(approval)}-resync`, approval.id);
    },
    scheduleExpiry: async (approval) => {
      // Asked once, when the approval is created (a lost expiry job is the reaper's: it expires overdue approvals).
      await enqueue("expire", approval.id, approval.id, { delay: Math.max(0, approval.expiresAt.getTime() - Date.now()) }, false);
    },
    startWorkers: () => {
      if (!deps.isWorkerStartDeferred || areWorkersStarted || closing) return;
      areWorkersStarted = true;
      for (const worker of workers) worker.run().catch((error: unknown) => logger.warn({ err: (error as Error).message }, "approval queue worker stopped"));
    },
    close,
  };
}

function describeBackend(backend: QueueBackendConfig): string {
  return backend.kind === "redis" ? `Redis at ${redactUrl(backend.url)}` : `PostgreSQL at ${redactUrl(backend.url)} (schema ${backend.schema})`;
}

function unavailable(where: string, cause: unknown): GatewayError {
  return new GatewayError("storage_unavailable", `Cannot start the approval queues on ${where}: ${(cause as Error).message}`, { cause, retryable: true });
}

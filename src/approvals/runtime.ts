// Per-process approval runtime: a heartbeat row for this gateway instance, and a reaper that makes the
// rules hold whoever was running when a change happened:
// - overdue approvals expire (pending: nobody decided; approved: no agent came back for the result);
// - approvals of revoked grants are cancelled;
// - executions of gateways that stopped become outcome_unknown (never retried), their waiting agents
//   are removed (they are gone; nothing is cancelled);
// - approved calls with an MCP task attached run (the task stores the result);
// - quota of approvals that ended without running is given back, once.
// A gateway never reaps itself: its own rows are live while it runs, even if its heartbeat lapsed
// during a database outage. Notifications make all of this prompt; the interval makes it sure.
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { gatewayInstances, type Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { QuotaRequest, QuotaStore } from "../ratelimit/index.ts";
import type { ApprovalBus } from "./bus.ts";
import type { ApprovalExecutor } from "./executor.ts";
import { UNRUN_STATUSES, type ApprovalRepository } from "./repository.ts";
import { REVOKED_REASON, type ApprovalCore } from "./service.ts";

export interface RuntimeTimings {
  heartbeatMs: number;
  /** An instance whose heartbeat is older than this is considered dead. */
  staleMs: number;
  reaperMs: number;
}

export interface ApprovalRuntime {
  instanceId: string;
  /** Runs one reaper pass now (also used by tests to avoid waiting for the interval). */
  reap(): Promise<void>;
  /** Runs an approved call now if an MCP task is attached to it (a task call attached to it just now). */
  runForTask(approvalId: string): void;
  close(): Promise<void>;
}

export async function startApprovalRuntime(deps: {
  database: Database;
  repo: ApprovalRepository;
  service: ApprovalCore;
  bus: ApprovalBus;
  executor: ApprovalExecutor;
  quota: QuotaStore;
  logger: Logger;
  timings: RuntimeTimings;
  instanceId?: string;
  /** Extra work for each reaper pass (ending tasks of finished approvals, re-posting, re-syncing messages). */
  sweeps?: Array<() => Promise<void>>;
}): Promise<ApprovalRuntime> {
  const { db } = deps.database;
  const { repo, service, logger } = deps;
  const instanceId = deps.instanceId ?? randomUUID();
  await db.insert(gatewayInstances).values({ id: instanceId });

  const deadInstances = sql`(SELECT id FROM gateway_instances WHERE id <> ${instanceId} AND (stopped_at IS NOT NULL OR heartbeat_at < now() - make_interval(secs => ${deps.timings.staleMs / 1000})))`;
  let running: Promise<void> | null = null;

  async function runForTask(approvalId: string): Promise<void> {
    for (const approval of await repo.approvedForTasks(approvalId)) await deps.executor.execute(approval);
  }

  async function settleQuota(approvalId: string): Promise<void> {
    const quota = await repo.settleQuota(approvalId);
    if (quota && quota.length > 0) await deps.quota.release({ requests: quota as QuotaRequest[] });
  }

  async function reapOnce(): Promise<void> {
    for (const id of await repo.overdue()) await service.expire(id);
    for (const grant of await repo.revokedGrantsWithOpenApprovals()) await service.cancelForGrant(grant, REVOKED_REASON);
    for (const id of await repo.executingOn(deadInstances)) {
      const marked = await repo.markOutcomeUnknown(id, "the gateway running this call stopped before it finished; it is not retried");
      if (marked) await service.announce(marked, "system");
    }
    for (const id of await repo.purgeWaiters(deadInstances)) {
      const approval = await repo.get(id);
      if (approval) await deps.bus.publish({ id, status: approval.status });
    }
    for (const approval of await repo.approvedForTasks()) await deps.executor.execute(approval);
    for (const id of await repo.unsettledQuota()) await settleQuota(id);
    for (const sweep of deps.sweeps ?? []) await sweep();
  }

  const startPass = () =>
    (running = reapOnce()
      .catch((error: unknown) => logger.warn({ err: (error as Error).message }, "approval reaper pass failed"))
      .finally(() => {
        running = null;
      }));
  // A pass already running may have read before the caller's change (a grant revoked just now): the
  // caller waits for one more pass after it, shared by everyone who asks meanwhile.
  let following: Promise<void> | null = null;
  const reap = (): Promise<void> => {
    if (!running) return startPass();
    return (following ??= running.then(() => {
      following = null;
      return running ?? startPass();
    }));
  };

  const heartbeat = setInterval(() => {
    void db
      .update(gatewayInstances)
      .set({ heartbeatAt: new Date() })
      .where(eq(gatewayInstances.id, instanceId))
      .catch(() => {});
  }, deps.timings.heartbeatMs);
  heartbeat.unref();
  const reaper = setInterval(() => void reap(), deps.timings.reaperMs);
  reaper.unref();

  const unsubscribe = deps.bus.subscribe((change) => {
    const work =
      change.status === "approved" ? runForTask(change.id) : UNRUN_STATUSES.includes(change.status) ? settleQuota(change.id) : null;
    void work?.catch((error: unknown) => logger.warn({ err: (error as Error).message, approval: change.id }, "approval follow-up failed; the reaper retries it"));
  });

  let closing: Promise<void> | undefined;
  return {
    instanceId,
    reap,
    runForTask: (approvalId) => void runForTask(approvalId).catch((error: unknown) => logger.warn({ err: (error as Error).message, approval: approvalId }, "could not run the approved call for its task; the reaper retries it")),
    close: () =>
      (closing ??= (async () => {
        unsubscribe();
        clearInterval(heartbeat);
        clearInterval(reaper);
        await running;
        await db.update(gatewayInstances).set({ stoppedAt: new Date() }).where(and(eq(gatewayInstances.id, instanceId))).catch(() => {});
      })()),
  };
}

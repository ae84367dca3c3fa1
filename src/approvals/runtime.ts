// Per-process approval runtime: a heartbeat row for this gateway instance, and a reaper that
// expires overdue approvals (fallback for a lost BullMQ job), runs approved calls nobody is running,
// cancels held requests of dead instances, and turns their unfinished executions into
// outcome_unknown. Notifications make it prompt; the interval makes it sure.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNotNull, lt, or, sql } from "drizzle-orm";
import { approvals, gatewayInstances, type Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { ApprovalBus } from "./bus.ts";
import type { ApprovalExecutor } from "./executor.ts";
import type { ApprovalRepository } from "./repository.ts";
import type { ApprovalCore } from "./service.ts";

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
  close(): Promise<void>;
}

export async function startApprovalRuntime(deps: {
  database: Database;
  repo: ApprovalRepository;
  service: ApprovalCore;
  bus: ApprovalBus;
  executor: ApprovalExecutor;
  logger: Logger;
  timings: RuntimeTimings;
  /** Extra work for each reaper pass (e.g. ending tasks of finished approvals). */
  sweeps?: Array<() => Promise<void>>;
}): Promise<ApprovalRuntime> {
  const { db } = deps.database;
  const instanceId = randomUUID();
  await db.insert(gatewayInstances).values({ id: instanceId });

  const deadInstances = sql`(SELECT id FROM gateway_instances WHERE stopped_at IS NOT NULL OR heartbeat_at < now() - make_interval(secs => ${deps.timings.staleMs / 1000}))`;
  let running: Promise<void> | null = null;

  async function reapOnce(): Promise<void> {
    for (const id of await deps.repo.overduePending(new Date())) await deps.service.expire(id);

    const orphanedHolds = await db
      .select({ id: approvals.id })
      .from(approvals)
      .where(and(eq(approvals.status, "pending"), eq(approvals.holdMode, "hold"), sql`${approvals.holderInstance} IN ${deadInstances}`));
    for (const { id } of orphanedHolds) await deps.service.cancel(id, "the gateway holding the agent's request stopped");

    const lostExecutions = await db
      .select({ id: approvals.id })
      .from(approvals)
      .where(and(eq(approvals.status, "executing"), sql`${approvals.executorInstance} IN ${deadInstances}`));
    for (const { id } of lostExecutions) {
      const marked = await deps.repo.markOutcomeUnknown(id, "the gateway running this call stopped before it finished; it is not retried");
      if (marked) await deps.service.announce(marked, "system");
    }

    // Approved calls whose client is not holding a request here (task, ticket, or a dead holder).
    const runnable = await db
      .select({ id: approvals.id })
      .from(approvals)
      .where(
        and(
          eq(approvals.status, "approved"),
          or(inArray(approvals.holdMode, ["task", "ticket"]), sql`${approvals.holderInstance} IN ${deadInstances}`, lt(approvals.decidedAt, sql`now() - interval '30 seconds'`)),
        ),
      );
    for (const { id } of runnable) {
      const approval = await deps.repo.get(id);
      if (approval) await deps.executor.execute(approval);
    }
    for (const sweep of deps.sweeps ?? []) await sweep();
  }

  const reap = () =>
    (running ??= reapOnce()
      .catch((error: unknown) => deps.logger.warn({ err: (error as Error).message }, "approval reaper pass failed"))
      .finally(() => {
        running = null;
      }));

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

  // An approval decided anywhere: run it here if nobody holds its request.
  const unsubscribe = deps.bus.subscribe((change) => {
    if (change.status !== "approved") return;
    void (async () => {
      const approval = await deps.repo.get(change.id);
      if (approval && approval.status === "approved" && approval.holdMode !== "hold") await deps.executor.execute(approval);
    })().catch((error: unknown) => deps.logger.warn({ err: (error as Error).message }, "could not run approved call"));
  });

  let closing: Promise<void> | undefined;
  return {
    instanceId,
    reap,
    close: () =>
      (closing ??= (async () => {
        unsubscribe();
        clearInterval(heartbeat);
        clearInterval(reaper);
        await running;
        await db.update(gatewayInstances).set({ stoppedAt: new Date() }).where(and(eq(gatewayInstances.id, instanceId), isNotNull(gatewayInstances.id))).catch(() => {});
      })()),
  };
}

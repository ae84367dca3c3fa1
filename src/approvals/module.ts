// Builds the approval flow for one gateway process: repository, change bus, state machine, executor,
// the follower that attached agents wait in, runtime (heartbeat + reaper) and the hold handler the
// gateway calls.
import { randomUUID } from "node:crypto";
import type { AuditWriter } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { ApprovalHandler, GatewayTool } from "../proxy/gateway.ts";
import type { UpstreamConnection } from "../proxy/upstream.ts";
import type { QuotaStore } from "../ratelimit/index.ts";
import type { Sealer } from "../secrets/index.ts";
import { sealArguments } from "./binding.ts";
import { createApprovalBus, type ApprovalBus } from "./bus.ts";
import { createApprovalExecutor } from "./executor.ts";
import { createApprovalFollower } from "./follow.ts";
import { createHoldHandler, type ApprovalNotifications } from "./hold.ts";
import { createHoldSettingsResolver, type HoldSettingsResolver, type HoldSettingsSource } from "./hold-settings.ts";
import { createApprovalRepository, type ApprovalRepository } from "./repository.ts";
import { startApprovalRuntime, type ApprovalRuntime, type RuntimeTimings } from "./runtime.ts";
import { createApprovalService, type ApprovalCore, type ApprovalServiceDeps } from "./service.ts";
import { createApprovalStatusTool } from "./status-tool.ts";
import { startTaskSync } from "./task-sync.ts";

export interface ApprovalsModule {
  repo: ApprovalRepository;
  bus: ApprovalBus;
  service: ApprovalCore;
  runtime: ApprovalRuntime;
  hold: ApprovalHandler;
  /** Held calls waiting their turn to record their approval request (gatehouse_approval_requests_waiting). */
  waitingToRecord(): number;
  statusTool: GatewayTool;
  settingsFor: HoldSettingsResolver;
  /** Gateway stopping: attached agents get their pending answer now (their approvals stay open). */
  drainHolds(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface ApprovalSettings {
  defaultChannel: string | null;
  hold: HoldSettingsSource;
  pollMs: number;
  claimGraceMs: number;
  resultWindowMs: number;
  /** How long recording an approval request may wait for the database before the call is refused. */
  recordTimeoutMs: number;
}

export async function startApprovals(deps: {
  database: Database;
  /** For cross-process notifications; null on the embedded database (see bus.ts). */
  databaseUrl: string | null;
  audit: AuditWriter;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  quota: QuotaStore;
  sealer: Sealer;
  logger: Logger;
  /** Decisions, their time and approved calls' upstream errors are counted here. */
  metrics?: Metrics;
  notifications: () => ApprovalNotifications;
  /** True when reviewers are notified (Slack on): unposted messages are then asked for again. */
  hasNotifier: boolean;
  isApprover?: ApprovalServiceDeps["isApprover"];
  settings: ApprovalSettings;
  timings: RuntimeTimings;
  /** Extra reaper work (e.g. re-syncing reviewer messages). */
  sweeps?: Array<() => Promise<void>>;
}): Promise<ApprovalsModule> {
  const { logger, sealer, settings } = deps;
  const repo = createApprovalRepository(deps.database);
  const bus = createApprovalBus(deps.database, deps.databaseUrl, logger);
  const { metrics } = deps;
  const service = createApprovalService({ repo, bus, audit: deps.audit, logger, isApprover: deps.isApprover, claimGraceMs: settings.claimGraceMs, metrics });
  const instanceId = randomUUID();
  const executor = createApprovalExecutor({ repo, service, upstreams: deps.upstreams, sealer, instanceId, logger, metrics });
  const follower = createApprovalFollower({ repo, bus, service, executor, instanceId: () => instanceId, pollMs: settings.pollMs, logger });
  const taskSync = startTaskSync({ database: deps.database, repo, bus, logger });
  const sealed = await repo.sealLegacyArguments((row) => sealArguments(sealer, row.id, row.argsHash, row.args));
  if (sealed > 0) logger.info({ approvals: sealed }, "sealed the stored arguments of approvals recorded before sealing");
  // A reviewer notification that could not be queued (queue backend down) is asked for again; job
  // ids make a repeated request harmless.
  const renotify = async () => {
    if (!deps.hasNotifier) return;
    for (const approval of await repo.unnotified(new Date(Date.now() - 10_000))) {
      await deps.notifications().requestNotification(approval).catch(() => {});
    }
  };
  const runtime = await startApprovalRuntime({
    database: deps.database,
    repo,
    service,
    bus,
    executor,
    quota: deps.quota,
    logger,
    timings: deps.timings,
    instanceId,
    sweeps: [taskSync.sweep, renotify, ...(deps.sweeps ?? [])],
  });
  const settingsFor = createHoldSettingsResolver(settings.hold);
  let waitingToRecord = () => 0;
  const hold = createHoldHandler({
    service,
    repo,
    follower,
    get notifications() {
      return deps.notifications();
    },
    sealer,
    settingsFor,
    defaultChannel: settings.defaultChannel,
    resultWindowMs: settings.resultWindowMs,
    recordTimeoutMs: settings.recordTimeoutMs,
    onTaskAttached: (approval) => runtime.runForTask(approval.id),
    logger,
    exposeWaiting: (read) => {
      waitingToRecord = read;
      metrics?.readAtScrape({ approvalRequestsWaiting: read });
    },
  });
  return {
    repo,
    bus,
    service,
    runtime,
    hold,
    waitingToRecord: () => waitingToRecord(),
    settingsFor,
    statusTool: createApprovalStatusTool({ repo, follower, settingsFor, logger }),
    drainHolds: (timeoutMs) => follower.drain(timeoutMs),
    close: async () => {
      await follower.drain(2_000);
      taskSync.close();
      await runtime.close();
      await bus.close();
    },
  };
}

/** Approval service without a runtime, for the CLI: it decides; running gateways execute. */
export function createApprovalControl(deps: { database: Database; databaseUrl: string | null; audit: AuditWriter; logger: Logger; isApprover?: ApprovalServiceDeps["isApprover"] }) {
  const repo = createApprovalRepository(deps.database);
  const bus = createApprovalBus(deps.database, deps.databaseUrl, deps.logger);
  const service = createApprovalService({ repo, bus, audit: deps.audit, logger: deps.logger, isApprover: deps.isApprover });
  return { repo, service, close: () => bus.close() };
}

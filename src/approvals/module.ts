// Builds the approval flow for one gateway process: repository, change bus, state machine,
// executor, runtime (heartbeat + reaper) and the hold handler the gateway calls.
import type { AuditWriter } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { ApprovalHandler, GatewayTool } from "../proxy/gateway.ts";
import type { UpstreamConnection } from "../proxy/upstream.ts";
import { createApprovalBus, type ApprovalBus } from "./bus.ts";
import { createApprovalExecutor } from "./executor.ts";
import { createHoldHandler, type ApprovalNotifications, type HoldSettings } from "./hold.ts";
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
  statusTool: GatewayTool;
  close(): Promise<void>;
}

export async function startApprovals(deps: {
  database: Database;
  /** For cross-process notifications; null on the embedded database (see bus.ts). */
  databaseUrl: string | null;
  audit: AuditWriter;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  logger: Logger;
  notifications: () => ApprovalNotifications;
  /** True when reviewers are notified (Slack on): unposted messages are then asked for again. */
  hasNotifier: boolean;
  isApprover?: ApprovalServiceDeps["isApprover"];
  settings: HoldSettings;
  timings: RuntimeTimings;
}): Promise<ApprovalsModule> {
  const repo = createApprovalRepository(deps.database);
  const bus = createApprovalBus(deps.database, deps.databaseUrl, deps.logger);
  const service = createApprovalService({ repo, bus, audit: deps.audit, logger: deps.logger, isApprover: deps.isApprover });
  // The instance id is known once the runtime registered; the executor needs it for claims.
  let instanceId = "starting";
  const executor = createApprovalExecutor({ repo, service, upstreams: deps.upstreams, get instanceId() { return instanceId; }, logger: deps.logger });
  const taskSync = startTaskSync({ database: deps.database, repo, bus, logger: deps.logger });
  // A reviewer notification that could not be queued (queue backend down) is asked for again; job
  // ids make a repeated request harmless.
  const renotify = async () => {
    if (!deps.hasNotifier) return;
    for (const approval of await repo.unnotified(new Date(Date.now() - 10_000))) {
      await deps.notifications().requestNotification(approval).catch(() => {});
    }
  };
  const runtime = await startApprovalRuntime({ database: deps.database, repo, service, bus, executor, logger: deps.logger, timings: deps.timings, sweeps: [taskSync.sweep, renotify] });
  instanceId = runtime.instanceId;
  const hold = createHoldHandler({
    service,
    repo,
    bus,
    executor,
    get notifications() {
      return deps.notifications();
    },
    instanceId,
    settings: deps.settings,
    logger: deps.logger,
  });
  return {
    repo,
    bus,
    service,
    runtime,
    hold,
    statusTool: createApprovalStatusTool(repo),
    close: async () => {
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

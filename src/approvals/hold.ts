// Holds a call the policy sends to review: the approval row is committed first, then the reviewer
// is notified and the expiry scheduled, then the client waits in the way it can (DESIGN §5):
// a held request with progress heartbeats, a ticket, or an MCP task.
import { randomUUID } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { canonicalJson, sha256Hex } from "../audit/index.ts";
import { toWireMessage } from "../errors.ts";
import type { Logger } from "../log/index.ts";
import type { ApprovalHandler, PendingCall } from "../proxy/gateway.ts";
import { refusal } from "../proxy/results.ts";
import type { ApprovalBus } from "./bus.ts";
import type { ApprovalExecutor } from "./executor.ts";
import type { ApprovalRepository } from "./repository.ts";
import { finalResult, ticketResult, waitingMessage } from "./results.ts";
import type { ApprovalCore } from "./service.ts";
import type { Approval } from "./types.ts";
import { waitForApproval } from "./waiter.ts";

export interface HoldSettings {
  defaultChannel: string | null;
  /** A held request longer than this is answered with a ticket instead. */
  maxHoldMs: number;
  heartbeatMs: number;
  pollMs: number;
}

export interface ApprovalNotifications {
  requestNotification(approval: Approval): Promise<void>;
  scheduleExpiry(approval: Approval): Promise<void>;
}

/** The binding between what the reviewer saw and what may run (DESIGN §6). */
export function bindingHash(upstream: string, tool: string, args: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ upstream, tool, arguments: args }));
}

export function createHoldHandler(deps: {
  service: ApprovalCore;
  repo: ApprovalRepository;
  bus: ApprovalBus;
  executor: ApprovalExecutor;
  notifications: ApprovalNotifications;
  instanceId: string;
  settings: HoldSettings;
  logger: Logger;
}): ApprovalHandler {
  const isWaiting = (a: Approval) => a.status === "pending";

  return async (call: PendingCall, extra) => {
    const spec = call.decision.approval;
    const holdMode = extra.createTask ? "task" : spec.wait === "ticket" ? "ticket" : "hold";
    let approval: Approval;
    try {
      approval = await deps.service.create({
        id: randomUUID(),
        callId: call.callId,
        expiresAt: spec.expiresAt,
        upstream: call.upstream.name,
        tool: call.tool,
        exposedTool: call.exposedName,
        args: call.args,
        argsRedacted: call.argsRedacted,
        argsHash: bindingHash(call.upstream.name, call.tool, call.args),
        grantName: call.context.grant.name,
        grantOwner: call.context.grant.owner,
        sessionId: call.context.sessionId,
        rule: call.decision.rule,
        reason: call.decision.reason,
        spec: {
          channel: spec.channel ?? deps.settings.defaultChannel,
          approvers: spec.approvers,
          minApprovals: spec.minApprovals,
          allowSelfApproval: spec.allowSelfApproval,
          wait: spec.wait,
          timeout: spec.timeout,
        },
        holdMode,
        holderInstance: holdMode === "hold" ? deps.instanceId : null,
      });
    } catch (error) {
      await call.releaseQuota();
      return refusal(`Call refused: it needs approval, but the approval could not be recorded (${toWireMessage(error).message}).`, {
        decision: "error",
        rule: call.decision.rule,
        callId: call.callId,
        code: "storage_unavailable",
      });
    }
    // The task exists before anyone can decide, so the executor always finds it to complete.
    const task = extra.createTask ? await extra.createTask(approval) : null;
    // Both are retried by the reaper and visible in the dashboard/CLI if the queue is down now.
    await deps.notifications.requestNotification(approval).catch((error: unknown) => deps.logger.error({ err: (error as Error).message, approval: approval.id }, "could not queue the reviewer notification"));
    await deps.notifications.scheduleExpiry(approval).catch((error: unknown) => deps.logger.error({ err: (error as Error).message, approval: approval.id }, "could not schedule expiry"));

    if (task) return task;
    if (holdMode === "ticket") return ticketResult(approval);
    return holdRequest(approval, call, extra);
  };

  async function holdRequest(approval: Approval, call: PendingCall, extra: Parameters<ApprovalHandler>[1]): Promise<CallToolResult> {
    const heartbeat = (current: Approval) =>
      extra.onprogress?.({ progress: current.votes.length, total: current.spec.minApprovals, message: waitingMessage(current, new Date()) });
    heartbeat(approval);
    let current = await waitForApproval(deps.repo, deps.bus, approval.id, (a) => !isWaiting(a), {
      signal: extra.signal,
      pollMs: deps.settings.pollMs,
      onTick: heartbeat,
      tickMs: deps.settings.heartbeatMs,
      maxWaitMs: deps.settings.maxHoldMs,
    });
    if (current.status === "pending") {
      if (extra.signal?.aborted) {
        await deps.service.cancel(approval.id, "the agent's client cancelled or disconnected while waiting");
        await call.releaseQuota();
        return finalResult((await deps.repo.get(approval.id)) ?? current);
      }
      // Held too long for a client to keep waiting: hand out a ticket instead.
      const ticket = await deps.repo.setHoldMode(approval.id, "ticket");
      return ticketResult(ticket ?? current);
    }
    if (current.status === "approved") {
      current = (await deps.executor.execute(current, { onprogress: extra.onprogress })) ?? current;
    }
    if (current.status === "approved" || current.status === "executing") {
      current = await waitForApproval(deps.repo, deps.bus, approval.id, (a) => a.status !== "approved" && a.status !== "executing", { pollMs: deps.settings.pollMs });
    }
    if (current.status !== "succeeded") await call.releaseQuota();
    return finalResult(current);
  }
}

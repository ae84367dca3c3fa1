// Holds a call the policy sends to review (DESIGN §5). An approval belongs to a call identity (grant,
// upstream, tool, args hash): the first call opens it (row committed first, then the reviewer is
// notified and the expiry scheduled); an identical call while it is open attaches to it; an identical
// call after it ended gets the same answer while that answer stands. The client then waits the way it
// can: an MCP task, a held request (up to max_wait), or the pending answer at once (ticket).
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { Logger } from "../log/index.ts";
import type { ApprovalHandler, CallExtra, PendingCall } from "../proxy/gateway.ts";
import { refusal } from "../proxy/results.ts";
import type { Sealer } from "../secrets/index.ts";
import { bindingHash, sealArguments } from "./binding.ts";
import type { ApprovalFollower } from "./follow.ts";
import type { HoldSettingsResolver } from "./hold-settings.ts";
import type { ApprovalRepository, CallIdentity } from "./repository.ts";
import { finalResult, pendingAnswer } from "./results.ts";
import type { ApprovalCore } from "./service.ts";
import { isOpen, type Approval, type HoldMode } from "./types.ts";

export interface ApprovalNotifications {
  requestNotification(approval: Approval, options?: { isNew?: boolean }): Promise<void>;
  scheduleExpiry(approval: Approval): Promise<void>;
}

export interface HoldDeps {
  service: ApprovalCore;
  repo: ApprovalRepository;
  follower: ApprovalFollower;
  notifications: ApprovalNotifications;
  sealer: Sealer;
  settingsFor: HoldSettingsResolver;
  defaultChannel: string | null;
  /** How long an identical call gets the stored result of a run call instead of a new approval. */
  resultWindowMs: number;
  /** An MCP task attached to an approval that may already be approved: run it now if it is. */
  onTaskAttached(approval: Approval): void;
  logger: Logger;
  /**
   * How many calls may be recording their approval request at once (default RECORDING_CONCURRENCY). The
   * others wait their turn in memory, in arrival order: a burst of held calls is recorded as fast as the
   * database allows instead of every call queueing for a pool connection, waiting past the pool's 5 s
   * and being refused as if the database were down; allowed calls' audit commits are not stuck behind
   * thousands of hold queries meanwhile.
   */
  recordingConcurrency?: number;
  /** How long recording one approval request may wait for the database's answer before the call is refused. */
  recordTimeoutMs: number;
  /** Told how to read the number of calls waiting their turn (the gatehouse_approval_requests_waiting gauge). */
  exposeWaiting?: (read: () => number) => void;
}

type Opened = { kind: "new" | "attached" | "answered"; approval: Approval };

/** Enough to keep a round trip's worth of holds batching into one audit commit; few enough that the
 * database pool's queue stays a few milliseconds long. */
export const RECORDING_CONCURRENCY = 32;

const STORAGE_DOWN = "Call refused: it needs human approval, but Gatehouse cannot record the approval request right now (its database is unavailable). Nothing was run; try again shortly.";

export function createHoldHandler(deps: HoldDeps): ApprovalHandler {
  // A call cancelled or detached while it waits here is still recorded when its turn comes; the follower
  // then sees the signal and cancels or detaches it as it would a moment after recording.
  const inTurn = pLimit(Math.max(1, deps.recordingConcurrency ?? RECORDING_CONCURRENCY));
  deps.exposeWaiting?.(() => inTurn.pendingCount);
  // Calls are numbered as they arrive. When a recording fails, every call that arrived before that moment
  // is refused when its turn comes, without asking the database, unless a recording has succeeded since:
  // a database that hangs costs the line one recording timeout, not one per RECORDING_CONCURRENCY calls.
  let arrivals = 0;
  let failedAtArrival = 0;
  const record = async (call: PendingCall, holdMode: HoldMode, arrival: number): Promise<Opened> => {
    if (arrival <= failedAtArrival) throw new RefusedInLine();
    try {
      const opened = await openOrFind(call, holdMode);
      failedAtArrival = 0;
      return opened;
    } catch (error) {
      failedAtArrival = arrivals;
      throw error;
    }
  };
  return async (call, extra) => {
    const holdMode: HoldMode = extra.createTask ? "task" : call.decision.approval.wait === "ticket" ? "ticket" : "hold";
    const arrival = ++arrivals;
    let opened: Opened;
    try {
      opened = await inTurn(() => record(call, holdMode, arrival));
    } catch (error) {
      if (error instanceof RefusedInLine) deps.logger.debug({ callId: call.callId }, "refused an approval request waiting in line: recording has been failing since it arrived");
      else deps.logger.error({ err: (error as Error).message, callId: call.callId }, "could not record an approval request");
      await call.releaseQuota();
      return refusal(STORAGE_DOWN, { decision: "error", rule: call.decision.rule, callId: call.callId, code: "storage_unavailable" });
    }
    const { approval } = opened;
    if (opened.kind !== "new") {
      // The approval already holds the quota this call reserved.
      await call.releaseQuota();
      await deps.service.recordFollowUp(approval, { callId: call.callId, sessionId: call.context.sessionId, client: call.context.client ?? null }, opened.kind === "answered" ? "replayed" : "attached");
    }
    if (opened.kind === "answered") return finalResult(approval, { isReplay: true });

    const settings = deps.settingsFor({ grant: call.context.grant.name, client: call.context.client?.name ?? null });
    if (extra.createTask) return attachTask(opened, extra);
    if (opened.kind === "new" && holdMode === "ticket") return pendingAnswer(approval, settings.pendingText);
    return deps.follower.follow(approval, {
      settings,
      signal: extra.signal,
      detached: extra.detached,
      onprogress: extra.onprogress,
      origin: extra.origin,
      isReturn: opened.kind === "attached",
      onCancel: "cancel_approval",
    });
  };

  async function openOrFind(call: PendingCall, holdMode: HoldMode): Promise<Opened> {
    const identity: CallIdentity = {
      grantName: call.context.grant.name,
      upstream: call.upstream.name,
      tool: call.tool,
      argsHash: bindingHash(call.upstream.name, call.tool, call.args),
    };
    // One statement: the approval standing for this call, else a new one. Two identical calls racing (two
    // replicas) meet at the unique index on open approvals; the loser asks again and finds the winner's.
    const values = newApproval(call, identity.argsHash, holdMode);
    for (let attempt = 0; attempt < 3; attempt++) {
      const opened = await deps.service.openOrFind(values, { resultWindowMs: deps.resultWindowMs, timeoutMs: deps.recordTimeoutMs, client: call.context.client ?? null, alongside: notify });
      if (opened?.isNew) return { kind: "new", approval: opened.approval };
      if (opened) return { kind: isOpen(opened.approval.status) ? "attached" : "answered", approval: opened.approval };
    }
    throw new Error(`approval for call ${call.callId} neither created nor found`);
  }

  function newApproval(call: PendingCall, argsHash: string, holdMode: HoldMode) {
    const spec = call.decision.approval;
    const id = randomUUID();
    return {
      id,
      callId: call.callId,
      expiresAt: spec.expiresAt,
      upstream: call.upstream.name,
      tool: call.tool,
      exposedTool: call.exposedName,
      argsSealed: sealArguments(deps.sealer, id, argsHash, call.args),
      // Already storable: redactArguments escapes what PostgreSQL cannot hold.
      argsRedacted: call.argsRedacted,
      argsHash,
      grantName: call.context.grant.name,
      grantOwner: call.context.grant.owner,
      sessionId: call.context.sessionId,
      rule: call.decision.rule,
      reason: call.decision.reason,
      spec: {
        channel: spec.channel ?? deps.defaultChannel,
        approvers: spec.approvers,
        minApprovals: spec.minApprovals,
        allowSelfApproval: spec.allowSelfApproval,
        wait: spec.wait,
        timeout: spec.timeout,
      },
      holdMode,
      quota: call.reservation.requests.length > 0 ? [...call.reservation.requests] : null,
    };
  }

  async function notify(approval: Approval): Promise<void> {
    // Both are retried by the reaper and visible in the CLI/API if the queue is down now.
    await Promise.all([
      deps.notifications.requestNotification(approval, { isNew: true }).catch((error: unknown) => deps.logger.error({ err: (error as Error).message, approval: approval.id }, "could not queue the reviewer notification")),
      deps.notifications.scheduleExpiry(approval).catch((error: unknown) => deps.logger.error({ err: (error as Error).message, approval: approval.id }, "could not schedule expiry")),
    ]);
  }

  async function attachTask(opened: Opened, extra: CallExtra): Promise<ReturnType<NonNullable<CallExtra["createTask"]>>> {
    // The task exists before anyone can decide, so whoever runs the call finds it to complete.
    const task = await extra.createTask!(opened.approval);
    if (opened.kind === "attached") {
      await deps.repo.recordReturn(opened.approval.id).catch(() => {});
      deps.onTaskAttached(opened.approval);
    }
    return task;
  }
}

class RefusedInLine extends Error {}

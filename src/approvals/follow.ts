// An agent attached to an approval: a held request, an identical retry or a status call waiting for
// the decision (DESIGN §5). While attached it is shown as "agent waiting", and only an attached agent
// makes an approved call run: it claims the execution and takes the result. It stops waiting at
// `maxWait` (pending answer), when the agent cancels (the approval is cancelled), when the connection
// is gone (it only detaches), or when the gateway stops. Database errors while waiting are retried:
// a blip never fails a hold.
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { toStorableText } from "../audit/index.ts";
import type { Logger } from "../log/index.ts";
import type { Origin } from "../proxy/origin.ts";
import type { ApprovalBus } from "./bus.ts";
import type { ApprovalExecutor } from "./executor.ts";
import type { HoldSettings } from "./hold-settings.ts";
import type { ApprovalRepository } from "./repository.ts";
import { finalResult, pendingAnswer, waitingMessage } from "./results.ts";
import type { ApprovalCore } from "./service.ts";
import { isTerminal, type Approval, type ApprovalStatus } from "./types.ts";

export interface FollowOptions {
  settings: HoldSettings;
  /** Aborted when the agent cancels this request (notifications/cancelled, session ended). */
  signal?: AbortSignal;
  /** Aborted when nobody can receive the answer any more (connection dropped, client timed out). */
  detached?: AbortSignal;
  onprogress?: (progress: Progress) => void;
  /** The agent request waiting here; an approved call it runs is attributed to it. */
  origin?: Origin;
  /** The agent came back (identical call, status call) rather than making the first call. */
  isReturn: boolean;
  /** What an explicit cancel means: the agent no longer wants the call, or only stops asking (status calls). */
  onCancel: "cancel_approval" | "stop_waiting";
}

export interface ApprovalFollower {
  follow(approval: Approval, options: FollowOptions): Promise<CallToolResult>;
  /** Gateway stopping: every attached agent gets its pending answer now. Resolves when all have answered (or after `timeoutMs`). */
  drain(timeoutMs: number): Promise<void>;
}

const MAX_READ_BACKOFF_MS = 2_000;
/** Approvals checked per sweep query. */
const SWEEP_CHUNK = 5_000;
/** A waiter row outlives its request by this much, so "agent waiting" survives a slow answer. */
const WAITER_ROW_SLACK_MS = 15_000;

export function createApprovalFollower(deps: {
  repo: ApprovalRepository;
  bus: ApprovalBus;
  service: ApprovalCore;
  executor: ApprovalExecutor;
  instanceId: () => string;
  pollMs: number;
  logger: Logger;
}): ApprovalFollower {
  const { repo, logger } = deps;
  const stopping = new AbortController();
  // Every held call listens to it: thousands of listeners are expected, not a leak.
  setMaxListeners(0, stopping.signal);
  const active = new Set<Promise<unknown>>();
  /** Waiter rows of held requests answered because the gateway is stopping, recorded together by drain(). */
  let leftWhileStopping: string[] = [];
  const sweep = createSweep(repo, deps.pollMs, logger);

  async function bestEffort(what: string, approvalId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      logger.warn({ approval: approvalId, err: (error as Error).message }, `could not ${what}; carrying on`);
    }
  }

  async function follow(first: Approval, options: FollowOptions): Promise<CallToolResult> {
    const { settings } = options;
    const waiterId = randomUUID();
    const deadline = Date.now() + settings.maxWaitMs;
    const wakeup = createWakeup(deps.bus, first.id, [options.signal, options.detached, stopping.signal]);
    const unwatch = sweep.watch(first.id, () => current.status, wakeup.poke);
    let current = first;
    let beats = 0;
    let readFailures = 0;
    let isRunnableHere = true;
    const heartbeat = () => options.onprogress?.({ progress: ++beats, message: waitingMessage(current, new Date()) });

    await bestEffort("record the waiting agent", first.id, async () => {
      await repo.attachWaiter(first.id, { id: waiterId, instance: deps.instanceId(), until: new Date(deadline + WAITER_ROW_SLACK_MS), isReturn: options.isReturn });
      await deps.bus.publish({ id: first.id, status: first.status, isPresence: true });
    });
    heartbeat();
    let nextBeat = Date.now() + settings.heartbeatMs;
    try {
      for (;;) {
        if (isTerminal(current.status)) return finalResult(current);
        if (current.status === "approved" && isRunnableHere) {
          try {
            const ran = await deps.executor.execute(current, { onprogress: options.onprogress, origin: options.origin });
            if (ran) {
              current = ran;
              continue;
            }
            isRunnableHere = false; // claimed by another waiter, or not runnable on this gateway: wait for the outcome
          } catch (error) {
            readFailures += 1;
            logger.warn({ approval: current.id, err: (error as Error).message }, "could not start the approved call yet; retrying");
          }
        }
        // An explicit cancel wins over the gateway stopping at the same moment (a stdio client closing stdin).
        if (options.signal?.aborted) {
          if (options.onCancel === "stop_waiting") return pendingAnswer(current, settings.pendingText);
          return await cancelApproval(current, options.signal.reason, settings);
        }
        if (stopping.signal.aborted) return pendingAnswer(current, settings.pendingText, "Gatehouse is restarting; nothing was lost.");
        if (options.detached?.aborted) return pendingAnswer(current, settings.pendingText);
        const now = Date.now();
        if (now >= deadline) return pendingAnswer(current, settings.pendingText);
        if (now >= nextBeat) {
          heartbeat();
          nextBeat = now + settings.heartbeatMs;
        }
        // The row is read again only when something may have changed: a notification, a cancel, the
        // sweep seeing another status, or a failed read or start being retried. Heartbeats read nothing.
        const retryIn = readFailures > 0 ? Math.min(MAX_READ_BACKOFF_MS, deps.pollMs * 2 ** readFailures) : Number.POSITIVE_INFINITY;
        const isWoken = await wakeup.wait(Math.max(1, Math.min(retryIn, nextBeat - now, deadline - now)));
        if (!isWoken && readFailures === 0) continue;
        // Woken because the gateway is stopping: answer without reading the row (thousands of held
        // requests each reading it kept SIGTERM waiting on the database). A decision made at this very
        // moment stands; the agent's retry finds it.
        if (stopping.signal.aborted) continue;
        try {
          current = (await repo.get(current.id)) ?? current;
          if (current.status === "approved" && readFailures > 0) isRunnableHere = true;
          readFailures = 0;
        } catch (error) {
          if (readFailures === 0) logger.warn({ approval: current.id, err: (error as Error).message }, "cannot read the approval (database unreachable?); still waiting");
          readFailures += 1;
        }
      }
    } finally {
      unwatch();
      wakeup.close();
      // Stopping, the answer goes out at once and drain() records every agent that left in one statement
      // (one by one, thousands of held requests kept SIGTERM waiting for seconds).
      if (stopping.signal.aborted) leftWhileStopping.push(waiterId);
      else {
        await bestEffort("record that the agent left", first.id, async () => {
          await repo.detachWaiter(first.id, waiterId);
          if (!isTerminal(current.status)) await deps.bus.publish({ id: first.id, status: current.status, isPresence: true });
        });
      }
    }
  }

  async function cancelApproval(current: Approval, reason: unknown, settings: HoldSettings): Promise<CallToolResult> {
    const why = `the agent's client cancelled the call${describeReason(reason)}`;
    try {
      if (await deps.service.cancel(current.id, why)) return finalResult((await repo.get(current.id)) ?? current);
      const now = await repo.get(current.id);
      if (now && isTerminal(now.status)) return finalResult(now);
      return pendingAnswer(now ?? current, settings.pendingText);
    } catch (error) {
      // The approval stays open; by the attach rule it runs only if an agent comes back for it.
      logger.error({ approval: current.id, err: (error as Error).message }, "could not record the agent's cancel; the approval stays open and runs only if an agent comes back for it");
      return pendingAnswer(current, settings.pendingText);
    }
  }

  return {
    follow(approval, options) {
      const following = follow(approval, options);
      active.add(following);
      void following.finally(() => active.delete(following)).catch(() => {});
      return following;
    },
    async drain(timeoutMs) {
      stopping.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...active]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      const left = leftWhileStopping;
      leftWhileStopping = [];
      try {
        // Their approvals' versions move on, so Slack messages showing "agent waiting" are rewritten by the
        // stale-message sweep of whichever gateway runs it; no notification per approval on the way out.
        await repo.detachWaiters(left);
      } catch (error) {
        // Their rows lapse with this gateway's instance row: other gateways purge them (purgeWaiters).
        logger.warn({ waiters: left.length, err: (error as Error).message }, "could not record the agents that left while stopping");
      }
    },
  };
}

function describeReason(reason: unknown): string {
  if (typeof reason !== "string" || reason.trim() === "") return "";
  return ` (${toStorableText(reason.trim()).slice(0, 200)})`;
}

/** Resolves a wait early when the approval changes or any of the signals aborts. */
function createWakeup(bus: ApprovalBus, id: string, signals: Array<AbortSignal | undefined>) {
  let wake: (() => void) | null = null;
  // A change between two waits must not be lost: the next wait then returns at once.
  let isPoked = false;
  const poke = () => {
    if (wake) wake();
    else isPoked = true;
  };
  // An agent attaching or leaving changes nothing a waiter acts on; each held request placed woke
  // itself with its own "agent waiting" and read its approval and votes again for it.
  const unsubscribe = bus.subscribeTo(id, (change) => {
    if (!change.isPresence) poke();
  });
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  for (const signal of live) signal.addEventListener("abort", poke);
  return {
    poke,
    /** Resolves true when woken (a change, a cancel), false when `ms` passed without one. */
    wait(ms: number): Promise<boolean> {
      if (isPoked || live.some((s) => s.aborted)) {
        isPoked = false;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), ms);
        function done(isWoken: boolean) {
          clearTimeout(timer);
          wake = null;
          resolve(isWoken);
        }
        wake = () => done(true);
      });
    },
    close() {
      unsubscribe();
      for (const signal of live) signal.removeEventListener("abort", poke);
    },
  };
}

/**
 * The safety net under notifications, for every call this gateway holds at once: every `everyMs`, one
 * query per SWEEP_CHUNK approvals sends each with the status its waiters last saw and gets back only
 * those whose status is now another; their waiters are woken to read their rows. A lost notification
 * costs at most `everyMs`; 10,000 held calls cost two small queries per sweep, not 10,000 reads.
 */
function createSweep(repo: ApprovalRepository, everyMs: number, logger: Logger) {
  const watchers = new Map<number, { approvalId: string; status: () => ApprovalStatus; poke: () => void }>();
  let nextKey = 0;
  let timer: NodeJS.Timeout | undefined;
  let isSweeping = false;

  async function sweepOnce(): Promise<void> {
    if (isSweeping) return;
    isSweeping = true;
    try {
      // One entry per approval and status a waiter last saw (identical calls share an approval).
      const seen = new Map<string, { id: string; status: ApprovalStatus }>();
      for (const watcher of watchers.values()) {
        const status = watcher.status();
        seen.set(`${watcher.approvalId} ${status}`, { id: watcher.approvalId, status });
      }
      const entries = [...seen.values()];
      for (let i = 0; i < entries.length; i += SWEEP_CHUNK) {
        const changed = await repo.changedStatuses(entries.slice(i, i + SWEEP_CHUNK));
        if (changed.size === 0) continue;
        for (const watcher of watchers.values()) {
          const status = changed.get(watcher.approvalId);
          if (status !== undefined && status !== watcher.status()) watcher.poke();
        }
      }
    } catch (error) {
      logger.debug({ err: (error as Error).message }, "approval sweep failed; the next one retries");
    } finally {
      isSweeping = false;
    }
  }

  return {
    watch(approvalId: string, status: () => ApprovalStatus, poke: () => void): () => void {
      const key = nextKey++;
      watchers.set(key, { approvalId, status, poke });
      if (!timer) {
        timer = setInterval(() => void sweepOnce(), everyMs);
        timer.unref();
      }
      return () => {
        watchers.delete(key);
        if (watchers.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}

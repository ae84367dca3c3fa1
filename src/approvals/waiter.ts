// Waits until an approval reaches a state the caller cares about. Notifications make it quick; the
// poll of the row makes it sure (a lost NOTIFY or a process that changed the row without one).
import type { ApprovalBus } from "./bus.ts";
import type { ApprovalRepository } from "./repository.ts";
import type { Approval } from "./types.ts";

export interface WaitOptions {
  signal?: AbortSignal;
  pollMs: number;
  /** Called every `tickMs` while waiting (progress heartbeats). */
  onTick?: (approval: Approval) => void;
  tickMs?: number;
  /** Give up after this long and return the approval as it is. */
  maxWaitMs?: number;
}

export async function waitForApproval(
  repo: ApprovalRepository,
  bus: ApprovalBus,
  id: string,
  isDone: (approval: Approval) => boolean,
  options: WaitOptions,
): Promise<Approval> {
  const started = Date.now();
  let lastTick = started;
  let wake: (() => void) | null = null;
  const unsubscribe = bus.subscribe((change) => {
    if (change.id === id) wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener("abort", onAbort);
  try {
    for (;;) {
      const approval = await repo.get(id);
      if (!approval) throw new Error(`approval ${id} disappeared`);
      if (isDone(approval) || options.signal?.aborted) return approval;
      const now = Date.now();
      if (options.maxWaitMs !== undefined && now - started >= options.maxWaitMs) return approval;
      if (options.onTick && options.tickMs && now - lastTick >= options.tickMs) {
        lastTick = now;
        options.onTick(approval);
      }
      const untilTick = options.onTick && options.tickMs ? options.tickMs - (now - lastTick) : Infinity;
      const untilGiveUp = options.maxWaitMs !== undefined ? options.maxWaitMs - (now - started) : Infinity;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(options.pollMs, untilTick, untilGiveUp)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

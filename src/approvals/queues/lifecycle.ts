// Start-up and shutdown helpers for the approval queues. BullMQ's graceful Worker.close() waits for
// its fetch loop, which never ends while Redis is down, so shutdown waits for our own running jobs
// (bounded) and then force-closes: complete even when the backend is gone.
import type { Logger } from "../../log/index.ts";

/** Jobs whose processor started and whose outcome BullMQ has not recorded yet. */
export function createInFlightJobs() {
  const running = new Set<string>();
  let onIdle: (() => void) | null = null;
  return {
    started(key: string): void {
      running.add(key);
    },
    finished(key: string): void {
      running.delete(key);
      if (running.size === 0) onIdle?.();
    },
    /** Resolves true once nothing runs, or false after `timeoutMs`. */
    async whenIdle(timeoutMs: number): Promise<boolean> {
      if (running.size === 0) return true;
      const idle = new Promise<true>((resolve) => {
        onIdle = () => resolve(true);
      });
      try {
        return await withTimeout(idle, timeoutMs, () => new Error("timeout"));
      } catch {
        return false;
      } finally {
        onIdle = null;
      }
    },
  };
}

/** Closes with a deadline; past it, drops the connections (a QUIT waits behind a Redis that is down). */
export async function closeOrDisconnect(item: { disconnect(): Promise<void> }, close: () => Promise<void>, timeoutMs: number): Promise<void> {
  try {
    await withTimeout(close(), timeoutMs, () => new Error(`close did not finish within ${timeoutMs} ms`));
  } catch (error) {
    // ioredis never reports the end of a connection between reconnect attempts: do not wait for it.
    await withTimeout(item.disconnect(), 1_000, () => new Error("disconnect timed out")).catch(() => {});
    throw error;
  }
}

/** Runs every step even when some fail, and logs the failures. */
export async function settleAll(steps: Array<() => Promise<unknown>>, logger: Logger, message: string): Promise<void> {
  const outcomes = await Promise.allSettled(steps.map((step) => step()));
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") logger.warn({ err: (outcome.reason as Error).message }, message);
  }
}

export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => {}); // a late failure after the timeout must not become an unhandled rejection
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// Timeouts that measure the database, not this process's own busy event loop. A burst of thousands of
// requests keeps the loop busy for seconds at a time; a plain timer then fires before the loop reads an
// answer that arrived long ago, and a healthy database is declared unavailable (10,000 held calls
// placed at once had calls refused "timeout exceeded when trying to connect" that way). Here only time
// in which the process could have heard an answer counts: one shared ticker credits the time since its
// last run, at most two ticks' worth however long the loop was busy, and a deadline that has passed
// expires only after the I/O of that loop turn has been read (setImmediate runs after the poll phase).
// With an idle loop a deadline expires on time, within a tick.

const TICK_MS = 100;
const MAX_CREDIT_MS = 2 * TICK_MS;

interface Pending {
  at: number;
  onExpire: () => void;
}

const pending = new Set<Pending>();
/** Milliseconds of responsive time counted since the ticker started. */
let credited = 0;
let lastAdvance = 0;
let ticker: NodeJS.Timeout | undefined;

function advance(): void {
  const now = performance.now();
  credited += Math.min(now - lastAdvance, MAX_CREDIT_MS);
  lastAdvance = now;
}

function expireDue(): void {
  advance();
  for (const entry of pending) {
    if (credited < entry.at) continue;
    pending.delete(entry);
    entry.onExpire();
  }
  if (pending.size === 0) stopTicker();
}

function stopTicker(): void {
  clearInterval(ticker);
  ticker = undefined;
}

/**
 * Calls `onExpire` once `ms` of responsive time has passed, unless the returned cancel function is
 * called first. Like a timer, a pending deadline keeps the process alive.
 */
export function startDeadline(ms: number, onExpire: () => void): () => void {
  if (ticker) advance();
  else {
    lastAdvance = performance.now();
    ticker = setInterval(() => setImmediate(expireDue), TICK_MS);
  }
  const entry: Pending = { at: credited + ms, onExpire };
  pending.add(entry);
  return () => {
    if (pending.delete(entry) && pending.size === 0) stopTicker();
  };
}

/** `work`, or an error made by `timeoutError` once `ms` of responsive time passed without its answer; `onLate` gets an answer that came after. */
export function withinDeadline<T>(work: Promise<T>, ms: number, timeoutError: () => Error, onLate: (value: T) => void = () => {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let isOver = false;
    const cancel = startDeadline(ms, () => {
      isOver = true;
      reject(timeoutError());
    });
    work.then(
      (value) => {
        if (isOver) return onLate(value);
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        if (isOver) return;
        cancel();
        reject(error as Error);
      },
    );
  });
}

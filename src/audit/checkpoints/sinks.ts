// Where checkpoints go besides the database: copies the database's administrators cannot rewrite.
// A file gets one JSON line per checkpoint; a webhook gets a POST, retried with backoff in the
// background. Neither ever delays a tool call: `write` returns at once and failures are logged.
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "../../log/index.ts";
import type { SignedCheckpoint } from "./signing.ts";

export interface CheckpointSink {
  name: string;
  write(checkpoint: SignedCheckpoint): void;
  /** Resolves once what was handed over is written (or given up); for tests and shutdown. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** One line per checkpoint: `{"seq":…,"hash":"…","count":…,"at":"…","keyId":"…","signature":"…"}`. */
export function checkpointLine(checkpoint: SignedCheckpoint): string {
  const { seq, hash, count, at, keyId, signature } = checkpoint;
  return `${JSON.stringify({ seq, hash, count, at, keyId, signature })}\n`;
}

export function createFileSink(file: string, logger: Logger): CheckpointSink {
  let chain: Promise<void> = Promise.resolve();
  return {
    name: `file ${file}`,
    write(checkpoint) {
      chain = chain
        .then(async () => {
          await mkdir(dirname(file), { recursive: true });
          await appendFile(file, checkpointLine(checkpoint), { mode: 0o644 });
        })
        .catch((error: unknown) => logger.error({ file, seq: checkpoint.seq, err: (error as Error).message }, "could not append an audit checkpoint to its file"));
    },
    flush: () => chain,
    close: () => chain,
  };
}

export interface WebhookOptions {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Waits between attempts; the last one repeats until `maxAttempts`. */
  retryDelaysMs?: readonly number[];
  maxAttempts?: number;
  /** Checkpoints waiting beyond this drop the oldest (a newer checkpoint vouches for more). */
  maxQueue?: number;
}

const RETRY_DELAYS_MS = [250, 1_000, 5_000, 15_000, 30_000, 60_000];

export function createWebhookSink(options: WebhookOptions, logger: Logger): CheckpointSink {
  const { url, headers, timeoutMs, retryDelaysMs = RETRY_DELAYS_MS, maxAttempts = 10, maxQueue = 100 } = options;
  const queue: SignedCheckpoint[] = [];
  const stop = new AbortController();
  let sending: Promise<void> | null = null;
  let closing: Promise<void> | undefined;
  const target = new URL(url).origin; // never log the path or query: they may hold a token

  async function deliver(checkpoint: SignedCheckpoint): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts && !stop.signal.aborted; attempt++) {
      let failure: string;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: checkpointLine(checkpoint),
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await response.body?.cancel().catch(() => {});
        if (response.ok) return;
        failure = `HTTP ${response.status}`;
      } catch (error) {
        if (stop.signal.aborted) return;
        failure = (error as Error).message;
      }
      logger.warn({ webhook: target, seq: checkpoint.seq, attempt, err: failure }, "audit checkpoint webhook failed; retrying");
      await wait(retryDelaysMs[Math.min(attempt - 1, retryDelaysMs.length - 1)] ?? 60_000, stop.signal);
    }
    if (!stop.signal.aborted) logger.error({ webhook: target, seq: checkpoint.seq }, "audit checkpoint webhook gave up; the checkpoint is still in the database and the file sink");
  }

  async function drain(): Promise<void> {
    try {
      for (let next = queue.shift(); next; next = queue.shift()) await deliver(next);
    } finally {
      sending = null;
    }
  }

  return {
    name: `webhook ${target}`,
    write(checkpoint) {
      if (stop.signal.aborted) return;
      queue.push(checkpoint);
      if (queue.length > maxQueue) queue.splice(0, queue.length - maxQueue);
      sending ??= drain();
    },
    flush: async () => {
      while (sending) await sending;
    },
    close: () =>
      (closing ??= (async () => {
        stop.abort();
        queue.length = 0;
        await sending;
      })()),
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

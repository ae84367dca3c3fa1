// Embedded PostgreSQL: one PGlite instance, in a thread of its own, served on a private loopback port, so
// every component (drizzle, BullMQ's backend, the CLI) talks plain `pg` to it and "embedded vs real" is only a URL.
// PGlite's directory can be opened by one process at a time; a running gateway advertises its port in
// `embedded.json` so the CLI connects to it instead of opening the files a second time.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { PROJECT_ROOT } from "../package-root.ts";
import { isProcessAlive } from "../discovery/index.ts";
import type { EmbeddedWorkerData, EmbeddedWorkerMessage } from "./embedded-worker.ts";

export interface EmbeddedDatabase {
  url: string;
  /** True when this process owns the PGlite files (false when it connected to a running gateway). */
  isOwner: boolean;
  close(): Promise<void>;
}

interface Advertisement {
  pid: number;
  port: number;
}

/**
 * The schema BullMQ's PostgreSQL backend uses in embedded mode. BullMQ pins its schema through each
 * connection's search_path, which PGlite's single session ignores, so the instance's own search_path
 * lists it (after public, so Gatehouse's migrations still create their tables in public).
 */
export const EMBEDDED_QUEUE_SCHEMA = "bullmq";

const PGDATA = "pgdata";

// PGlite's default 128 MB of shared buffers are zeroed at every start (about 0.4 s of a 2-core machine's
// start-up, and resident memory for good); an embedded gateway's working set is far smaller, and the
// files are still cached by the operating system.
const EMBEDDED_SETTINGS = ["-c", "shared_buffers=16MB"];

// The database runs in a thread of its own (embedded-worker.ts): compiled, the bundle's entry beside the CLI's;
// from the sources (tests, development), the TypeScript through tsx, which a worker thread does not inherit.
const isCompiled = import.meta.url.endsWith(".js");

function startWorker(workerData: EmbeddedWorkerData): Worker {
  if (isCompiled) return new Worker(join(PROJECT_ROOT, "dist/src/db/embedded-worker.js"), { workerData });
  const source = pathToFileURL(join(PROJECT_ROOT, "src/db/embedded-worker.ts")).href;
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
const CLOSE_TIMEOUT_MS = 5_000;

/** True when `dataDir` holds an embedded database (PGlite's files), created by a start or `db migrate`. */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, PGDATA, "PG_VERSION"));
}

/** `dataDir: null` keeps everything in memory (tests). `onFailure` hears of the database thread dying after it started. */
export async function openEmbeddedDatabase(dataDir: string | null, { onFailure }: { onFailure?: (error: Error) => void } = {}): Promise<EmbeddedDatabase> {
  if (dataDir) {
    const running = await findRunningGateway(dataDir);
    if (running) return { url: urlFor(running.port), isOwner: false, close: async () => {} };
    await mkdir(dataDir, { recursive: true });
  }
  const data: EmbeddedWorkerData = { pgdata: dataDir ? join(dataDir, PGDATA) : null, settings: EMBEDDED_SETTINGS, searchPath: `public, ${EMBEDDED_QUEUE_SCHEMA}` };
  const worker = startWorker(data);
  let isClosing = false;
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the embedded database stopped while starting (exit code ${code})`));
    worker.once("error", reject);
    worker.once("exit", onExit);
    worker.once("message", (message: EmbeddedWorkerMessage) => {
      worker.off("error", reject);
      worker.off("exit", onExit);
      if (message.type === "ready") resolve(message.port);
      else reject(new Error(`the embedded database did not start: ${message.type === "failed" ? message.message : message.type}`));
    });
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  worker.on("error", (error) => onFailure?.(error));
  worker.on("exit", (code) => {
    if (!isClosing) onFailure?.(new Error(`the embedded database thread exited (code ${code})`));
  });
  const advertisement = dataDir ? join(dataDir, "embedded.json") : null;
  if (advertisement) await writeFile(advertisement, JSON.stringify({ pid: process.pid, port } satisfies Advertisement));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      isClosing = true;
      if (advertisement) await rm(advertisement, { force: true });
      const closed = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage("close");
      // PGlite closes its files in a few milliseconds; a thread that does not answer is stopped.
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
    })());
  return { url: urlFor(port), isOwner: true, close };
}

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

async function findRunningGateway(dataDir: string): Promise<Advertisement | null> {
  let ad: Advertisement;
  try {
    ad = JSON.parse(await readFile(join(dataDir, "embedded.json"), "utf8")) as Advertisement;
  } catch {
    return null;
  }
  if (!isProcessAlive(ad.pid) || ad.pid === process.pid) return null;
  return (await canConnect(ad.port)) ? ad : null;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

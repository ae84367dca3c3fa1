// Embedded PostgreSQL: one PGlite instance, in a thread of its own, served on a private loopback port, so
// every component (drizzle, BullMQ's backend, the CLI) talks plain `pg` to it and "embedded vs real" is only a URL.
// PGlite's directory can be opened by one process at a time; a running gateway advertises its port in
// `embedded.json` so the CLI connects to it instead of opening the files a second time.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fork, type ChildProcess } from "node:child_process";
import { Worker } from "node:worker_threads";
import { PROJECT_ROOT } from "../package-root.ts";
import { isProcessAlive } from "../discovery/index.ts";
import { defaultTemplateDir } from "./embedded-template.ts";
import type { EmbeddedOrigin, EmbeddedWorkerData, EmbeddedWorkerMessage } from "./embedded-worker.ts";

/** Where the forked database process finds its EmbeddedWorkerData (embedded-worker.ts reads the same name). */
const EMBEDDED_WORKER_DATA = "GATEHOUSE_EMBEDDED_WORKER_DATA";

export interface EmbeddedDatabase {
  /** Changes after restart(). */
  readonly url: string;
  /** True when this process owns the PGlite files (false when it connected to a running gateway). */
  isOwner: boolean;
  /** True when this open created the database files (the first start on a data directory). */
  isNew: boolean;
  /** How the database this open serves came to be (null: a running gateway's, connected to). */
  origin: EmbeddedOrigin | null;
  /** Serves the same files from a new thread (and port), giving back the memory the old one grew to. */
  restart(): Promise<void>;
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

function startProcess(workerData: EmbeddedWorkerData): ChildProcess {
  const env = { ...process.env, [EMBEDDED_WORKER_DATA]: JSON.stringify(workerData) };
  if (isCompiled) return fork(join(PROJECT_ROOT, "dist/src/db/embedded-worker.js"), [], { env, execArgv: [] });
  return fork(join(PROJECT_ROOT, "src/db/embedded-worker.ts"), [], { env, execArgv: ["--import", "tsx"] });
}

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

/**
 * `dataDir: null` keeps everything in memory (tests). `onFailure` hears of the database thread dying after it
 * started. `template`: where a new database's copy is (embedded-template.ts; null: initdb), the build's by default.
 */
export async function openEmbeddedDatabase(
  dataDir: string | null,
  { onFailure, template = defaultTemplateDir(PROJECT_ROOT) }: { onFailure?: (error: Error) => void; template?: string | null } = {},
): Promise<EmbeddedDatabase> {
  if (dataDir) {
    const running = await findRunningGateway(dataDir);
    if (running) return { url: urlFor(running.port), isOwner: false, isNew: false, origin: null, restart: async () => {}, close: async () => {} };
    await mkdir(dataDir, { recursive: true });
  }
  const data: EmbeddedWorkerData = { pgdata: dataDir ? join(dataDir, PGDATA) : null, settings: EMBEDDED_SETTINGS, searchPath: `public, ${EMBEDDED_QUEUE_SCHEMA}`, template };
  const isNew = dataDir !== null && !hasEmbeddedDatabase(dataDir);
  // A new database is created (and migrated, before restart()) by a process of its own: creating it grows
  // PGlite's WebAssembly memory by ~0.4 GB that a thread would keep for good.
  let current = isNew ? await bootServer(startProcess(data)) : await bootServer(startWorker(data));
  let isClosing = false;
  /** Closed on purpose by restart(): its exit is no failure (the first start logged one at error level). */
  const retired = new WeakSet<Server>();
  const watch = (server: Server) => {
    server.handle.on("error", (error: Error) => onFailure?.(error));
    server.handle.on("exit", (code: number | null) => {
      if (!isClosing && !retired.has(server) && server === current) onFailure?.(new Error(`the embedded database thread exited (code ${code})`));
    });
  };
  watch(current);
  const advertisement = dataDir ? join(dataDir, "embedded.json") : null;
  const advertise = async () => {
    if (advertisement) await writeFile(advertisement, JSON.stringify({ pid: process.pid, port: current.port } satisfies Advertisement));
  };
  await advertise();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      isClosing = true;
      if (advertisement) await rm(advertisement, { force: true });
      await closeServer(current);
    })());
  return {
    get url() {
      return urlFor(current.port);
    },
    isOwner: true,
    isNew,
    origin: current.origin,
    async restart() {
      // PGlite's files are opened by one instance at a time: the old one closes first.
      const previous = current;
      retired.add(previous);
      await closeServer(previous);
      current = await bootServer(startWorker(data));
      watch(current);
      await advertise();
    },
    close,
  };
}

interface Server {
  handle: Worker | ChildProcess;
  port: number;
  origin: EmbeddedOrigin;
}

/** Waits for a started database thread or process to serve; one that fails to is stopped. */
async function bootServer(handle: Worker | ChildProcess): Promise<Server> {
  const { port, origin } = await new Promise<{ port: number; origin: EmbeddedOrigin }>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the embedded database stopped while starting (exit code ${code})`));
    handle.once("error", reject);
    handle.once("exit", onExit);
    handle.once("message", (message: EmbeddedWorkerMessage) => {
      handle.off("error", reject);
      handle.off("exit", onExit);
      if (message.type === "ready") resolve(message);
      else reject(new Error(`the embedded database did not start: ${message.type === "failed" ? message.message : message.type}`));
    });
  }).catch(async (error: unknown) => {
    await stop(handle);
    throw error;
  });
  return { handle, port, origin };
}

async function closeServer({ handle }: Server): Promise<void> {
  if (isGone(handle)) return;
  const closed = new Promise<void>((resolve) => handle.once("exit", () => resolve()));
  if (handle instanceof Worker) handle.postMessage("close");
  else handle.send("close");
  // PGlite closes its files in a few milliseconds; one that does not answer is stopped.
  const timer = setTimeout(() => void stop(handle), CLOSE_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

function isGone(handle: Worker | ChildProcess): boolean {
  return handle instanceof Worker ? handle.threadId === -1 : handle.exitCode !== null || handle.signalCode !== null;
}

async function stop(handle: Worker | ChildProcess): Promise<void> {
  if (handle instanceof Worker) await handle.terminate();
  else if (!isGone(handle)) {
    const exited = new Promise<void>((resolve) => handle.once("exit", () => resolve()));
    handle.kill("SIGKILL");
    await exited;
  }
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

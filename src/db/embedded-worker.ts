// The embedded database's thread: PGlite (Postgres compiled to WebAssembly) and its socket server run here,
// off the gateway's event loop. Everything talks to it over the loopback socket anyway, so the thread is
// invisible to them; what it buys is that Postgres boots while the gateway loads, and that every query's
// work runs on a core of its own instead of between the gateway's requests.
// Messages: in workerData the data directory (null: in memory) and start parameters; to the parent
// { type: "ready", port } or { type: "failed", message }; from the parent "close", answered by "closed".
// The same file also runs as a child process (forked, its data in EMBEDDED_WORKER_DATA): a new database is
// created and migrated there, so the memory that takes goes back to the system when the process ends.
import { readdir, rm } from "node:fs/promises";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { readTemplate } from "./embedded-template.ts";
import { useSessionQueue } from "./pglite-session-queue.ts";

export interface EmbeddedWorkerData {
  /** PGlite's data directory; null keeps the database in memory. */
  pgdata: string | null;
  settings: string[];
  searchPath: string;
  /** Where the build's copy of an empty database is (embedded-template.ts); null: a new database runs initdb. */
  template: string | null;
}

/** How the database came to be: it existed, or was created now from the build's copy or by initdb. */
export type EmbeddedOrigin = "existing" | "template" | "initdb";

export type EmbeddedWorkerMessage = { type: "ready"; port: number; origin: EmbeddedOrigin } | { type: "failed"; message: string } | { type: "closed" };

export const EMBEDDED_WORKER_DATA = "GATEHOUSE_EMBEDDED_WORKER_DATA";

interface ParentChannel {
  postMessage(message: EmbeddedWorkerMessage): void;
  on(event: "message", listener: (message: unknown) => void): void;
  close(): void;
}

const isChildProcess = parentPort === null;
const { pgdata, settings, searchPath, template } = (isChildProcess ? JSON.parse(process.env[EMBEDDED_WORKER_DATA] ?? "{}") : workerData) as EmbeddedWorkerData;
const port: ParentChannel = isChildProcess
  ? {
      postMessage: (message) => process.send?.(message),
      on: (event, listener) => process.on(event, listener),
      close: () => process.disconnect(),
    }
  : parentPort!;
const send = (message: EmbeddedWorkerMessage) => port.postMessage(message);
if (isChildProcess) {
  // The gateway decides when this ends (a Ctrl-C reaches the whole process group); if the gateway itself
  // is gone, so is the reason to hold the database files.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  process.on("disconnect", () => process.exit(0));
}

async function boot(): Promise<{ db: PGlite; server: PGLiteSocketServer; origin: EmbeddedOrigin }> {
  const { db, origin } = await open();
  await db.exec(`SET search_path TO ${searchPath}`);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 64 });
  useSessionQueue(server, db);
  await server.start();
  return { db, server, origin };
}

/** Opens the database, creating a new one from the build's copy when there is one that loads. */
async function open(): Promise<{ db: PGlite; origin: EmbeddedOrigin }> {
  const options = { startParams: [...PGlite.defaultStartParams, ...settings] };
  const isEmpty = pgdata === null || (await readdir(pgdata).catch(() => [])).length === 0;
  if (!isEmpty) return { db: await PGlite.create(pgdata!, options), origin: "existing" };
  const copy = template === null ? null : await readTemplate(template).catch(() => null);
  if (copy) {
    try {
      return { db: await PGlite.create(pgdata ?? "memory://", { ...options, loadDataDir: copy }), origin: "template" };
    } catch {
      // A copy that does not load: initdb runs instead, in a folder cleared of what the copy left (it was empty).
      if (pgdata !== null) await rm(pgdata, { recursive: true, force: true });
    }
  }
  return { db: await PGlite.create(pgdata ?? "memory://", options), origin: "initdb" };
}

const booting = boot();
booting.then(
  ({ server, origin }) => send({ type: "ready", port: Number(server.getServerConn().split(":").pop()), origin }),
  (error: unknown) => send({ type: "failed", message: (error as Error).message }),
);

port.on("message", (message: unknown) => {
  if (message !== "close") return;
  void (async () => {
    const started = await booting.catch(() => null);
    if (started) {
      await started.server.stop().catch(() => {});
      await started.db.close().catch(() => {});
    }
    send({ type: "closed" });
    port.close();
  })();
});

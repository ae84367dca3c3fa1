// Embedded PostgreSQL: one PGlite instance served on a private loopback port, so every component
// (drizzle, BullMQ's backend, the CLI) talks plain `pg` to it and "embedded vs real" is only a URL.
// PGlite's directory can be opened by one process at a time; a running gateway advertises its port in
// `embedded.json` so the CLI connects to it instead of opening the files a second time.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { isProcessAlive } from "../discovery/index.ts";
import { useSessionQueue } from "./pglite-session-queue.ts";

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

/** True when `dataDir` holds an embedded database (PGlite's files), created by a start or `db migrate`. */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, PGDATA, "PG_VERSION"));
}

/** `dataDir: null` keeps everything in memory (tests). */
export async function openEmbeddedDatabase(dataDir: string | null): Promise<EmbeddedDatabase> {
  if (dataDir) {
    const running = await findRunningGateway(dataDir);
    if (running) return { url: urlFor(running.port), isOwner: false, close: async () => {} };
    await mkdir(dataDir, { recursive: true });
  }
  const db = await PGlite.create(dataDir ? join(dataDir, PGDATA) : "memory://");
  await db.exec(`SET search_path TO public, ${EMBEDDED_QUEUE_SCHEMA}`);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 64 });
  useSessionQueue(server, db);
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  const advertisement = dataDir ? join(dataDir, "embedded.json") : null;
  if (advertisement) await writeFile(advertisement, JSON.stringify({ pid: process.pid, port } satisfies Advertisement));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (advertisement) await rm(advertisement, { force: true });
      await server.stop().catch(() => {});
      await db.close().catch(() => {});
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

// A new embedded database starts as a copy of an empty one that the build made (`npm run build`, run by
// npm install): PGlite's initdb, run in WebAssembly, took 2–5 s and 3–6 s of CPU at every first start, every
// `gatehouse db migrate` on a new folder and every in-memory database; unpacking the copy takes
// 0.6–1.3 s. The copy is PGlite's own dump of its data directory (`dumpDataDir`), made right after initdb, and it
// is used only by the PGlite version that made it. Without one (a build that could not make it, another
// PGlite version) a new database runs initdb as before; so does one whose copy does not load.
// PGlite itself is loaded only to make the copy (by the build), not by whoever just asks where it is.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DUMP = "pgdata.tar";
const VERSION = "version.json";

/** Where the build keeps the copy, below the installed package. */
export function defaultTemplateDir(projectRoot: string): string {
  return join(projectRoot, "dist", "pglite-template");
}

/** The installed PGlite's version: a copy made by another one is not used. */
export async function pgliteVersion(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = await readFile(join(dir, "package.json"), "utf8").catch(() => null);
    if (manifest === null) continue;
    const { name, version } = JSON.parse(manifest) as { name?: string; version?: string };
    if (name === "@electric-sql/pglite" && version) return version;
  }
  throw new Error("the installed @electric-sql/pglite has no readable package.json");
}

/** The copy in `dir`, when it was made by the installed PGlite; null otherwise. */
export async function readTemplate(dir: string): Promise<Blob | null> {
  if ((await recordedVersion(dir)) !== (await pgliteVersion())) return null;
  const dump = await readFile(join(dir, DUMP)).catch(() => null);
  // PGlite takes anything that is not a tar archive for a gzipped one, and its inflater then fails outside
  // any promise (the process ends): only a file that starts as a tar archive is given to it.
  return dump && isTarArchive(dump) ? new Blob([dump]) : null;
}

/** A POSIX tar archive's first header carries "ustar" at offset 257. */
function isTarArchive(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.toString("latin1", 257, 262) === "ustar";
}

/** Makes the copy in `dir` unless one by the installed PGlite is there; true when it made one. */
export async function writeTemplate(dir: string): Promise<boolean> {
  const version = await pgliteVersion();
  if ((await recordedVersion(dir)) === version) return false;
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create("memory://");
  let dump: Blob;
  try {
    await db.exec("CHECKPOINT");
    dump = await db.dumpDataDir("none");
  } finally {
    await db.close();
  }
  await mkdir(dir, { recursive: true });
  // The version last: a reader that finds it finds the whole dump (each file is renamed into place).
  await rm(join(dir, VERSION), { force: true });
  await writeFile(join(dir, `${DUMP}.tmp`), Buffer.from(await dump.arrayBuffer()));
  await rename(join(dir, `${DUMP}.tmp`), join(dir, DUMP));
  await writeFile(join(dir, `${VERSION}.tmp`), JSON.stringify({ pglite: version }));
  await rename(join(dir, `${VERSION}.tmp`), join(dir, VERSION));
  return true;
}

async function recordedVersion(dir: string): Promise<unknown> {
  const text = await readFile(join(dir, VERSION), "utf8").catch(() => null);
  try {
    return text === null ? null : (JSON.parse(text) as { pglite?: unknown }).pglite;
  } catch {
    return null;
  }
}

// A new embedded database starts from the copy of an empty one that the build made (dist/pglite-template),
// not from PGlite's initdb; a copy from another PGlite version, or one that does not load, is passed over
// and initdb runs as before. Whichever way it was created, the database is migrated and keeps its data.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectDatabase, migrateDatabase, openEmbeddedDatabase } from "../src/db/index.ts";
import { pgliteVersion, writeTemplate } from "../src/db/embedded-template.ts";
import { PROJECT_ROOT } from "../src/package-root.ts";

const BUILD_TEMPLATE = join(PROJECT_ROOT, "dist", "pglite-template");

/** Opens the embedded database in `dataDir` (null: in memory), migrates it, writes `note` when given and reads the notes back. */
async function useDatabase(dataDir: string | null, template: string | null | undefined, note?: string) {
  const embedded = await openEmbeddedDatabase(dataDir, template === undefined ? {} : { template });
  const database = connectDatabase(embedded.url, { max: 1 });
  try {
    await migrateDatabase(database);
    await database.pool.query("CREATE TABLE IF NOT EXISTS notes (text text)");
    if (note) await database.pool.query("INSERT INTO notes VALUES ($1)", [note]);
    const { rows } = await database.pool.query<{ text: string }>("SELECT text FROM notes ORDER BY text");
    const tables = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'tool_calls'");
    return { origin: embedded.origin, notes: rows.map((row) => row.text), hasGatehouseTables: tables.rows[0]!.n === 1 };
  } finally {
    await database.close();
    await embedded.close();
  }
}

describe("a new embedded database from the build's copy", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-template-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the build made a copy for the installed PGlite, and does not make it again", async () => {
    assert.deepEqual((await readdir(BUILD_TEMPLATE)).sort(), ["pgdata.tar", "version.json"]);
    assert.equal(await writeTemplate(BUILD_TEMPLATE), false, "an up-to-date copy is kept");
  });

  it("an in-memory database starts from it", async () => {
    assert.deepEqual(await useDatabase(null, undefined, "in memory"), { origin: "template", notes: ["in memory"], hasGatehouseTables: true });
  });

  it("a data directory's first open starts from it; the next open uses the files it left", async () => {
    const dataDir = join(dir, "first");
    assert.deepEqual(await useDatabase(dataDir, undefined, "first open"), { origin: "template", notes: ["first open"], hasGatehouseTables: true });
    assert.deepEqual(await useDatabase(dataDir, undefined, "second open"), { origin: "existing", notes: ["first open", "second open"], hasGatehouseTables: true });
  });

  it("a copy made by another PGlite version is passed over: initdb creates the database", async () => {
    const other = join(dir, "other-version");
    await cp(BUILD_TEMPLATE, other, { recursive: true });
    await writeFile(join(other, "version.json"), JSON.stringify({ pglite: `${await pgliteVersion()}-other` }));
    assert.deepEqual(await useDatabase(join(dir, "other"), other, "made by initdb"), { origin: "initdb", notes: ["made by initdb"], hasGatehouseTables: true });
  });

  for (const [kind, contents] of [
    ["is not a tar archive", async () => "not a tar archive ".repeat(4096)],
    ["is cut short", async () => (await readFile(join(BUILD_TEMPLATE, "pgdata.tar"))).subarray(0, 30_000_000)],
  ] as const) {
    it(`a copy that ${kind} is passed over: initdb creates the database, and it serves the next open`, async () => {
      const broken = join(dir, `broken-${kind.replaceAll(" ", "-")}`);
      await mkdir(broken);
      await writeFile(join(broken, "version.json"), JSON.stringify({ pglite: await pgliteVersion() }));
      await writeFile(join(broken, "pgdata.tar"), await contents());
      const dataDir = join(broken, "data");
      assert.deepEqual(await useDatabase(dataDir, broken, "after a broken copy"), { origin: "initdb", notes: ["after a broken copy"], hasGatehouseTables: true });
      assert.deepEqual(await useDatabase(dataDir, broken), { origin: "existing", notes: ["after a broken copy"], hasGatehouseTables: true });
    });
  }

  it("no copy at all (template: null): initdb, as before there was one", async () => {
    assert.deepEqual(await useDatabase(null, null, "no copy"), { origin: "initdb", notes: ["no copy"], hasGatehouseTables: true });
  });
});

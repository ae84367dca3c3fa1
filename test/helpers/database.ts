// A migrated database for one test file: the embedded PGlite stack by default, or a fresh schema on the
// PostgreSQL named by DATABASE_URL (dropped again by `close`), so test files never see each other's rows.
import { randomBytes } from "node:crypto";
import { connectDatabase, migrateDatabase, openEmbeddedDatabase, quoteIdent, type Database } from "../../src/db/index.ts";

export interface TestDatabase {
  database: Database;
  close(): Promise<void>;
}

export async function openTestDatabase(options: { schemaPrefix?: string } = {}): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const embedded = await openEmbeddedDatabase(null);
    const database = connectDatabase(embedded.url);
    return ready(database, async () => {
      await database.close();
      await embedded.close();
    });
  }
  const schema = `${options.schemaPrefix ?? "gh_test"}_${randomBytes(6).toString("hex")}`;
  const database = connectDatabase(url, { schema });
  database.namesStatements = true; // as openStorage sets it on PostgreSQL
  return ready(database, async () => {
    try {
      await database.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    } finally {
      await database.close();
    }
  });
}

async function ready(database: Database, cleanup: () => Promise<void>): Promise<TestDatabase> {
  try {
    await migrateDatabase(database);
  } catch (error) {
    await cleanup().catch(() => {});
    throw error;
  }
  let closing: Promise<void> | undefined;
  return { database, close: () => (closing ??= cleanup()) };
}

// Applies the committed drizzle-kit migrations under a Postgres advisory lock, so several gateways
// starting at once migrate exactly once.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type { Database } from "./client.ts";
import { quoteIdent } from "./client.ts";
import { PROJECT_ROOT } from "../package-root.ts";

export const MIGRATIONS_FOLDER = join(PROJECT_ROOT, "migrations");
const MIGRATION_LOCK_KEY = 0x6761_7465; // "gate"

export async function migrateDatabase(database: Database): Promise<void> {
  if (await isMigrated(database)) return;
  const client = await database.pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(database.schema)}`);
      await migrate(drizzle(client), {
        migrationsFolder: MIGRATIONS_FOLDER,
        migrationsSchema: database.schema === "public" ? "drizzle" : database.schema,
      });
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  } finally {
    client.release();
  }
}

/**
 * True when the newest committed migration is applied already: one read instead of the lock, the DDL checks
 * and the journal walk (most starts; on the embedded database this is a tenth of a second). drizzle applies
 * a migration when its journal time is newer than the newest applied row, so the same comparison decides.
 */
async function isMigrated(database: Database): Promise<boolean> {
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: Array<{ when: number }> };
  const newest = Math.max(...journal.entries.map((entry) => entry.when));
  const table = `${quoteIdent(database.schema === "public" ? "drizzle" : database.schema)}."__drizzle_migrations"`;
  try {
    const { rows } = await database.pool.query<{ newest: string | null }>(`SELECT max(created_at)::text AS newest FROM ${table}`);
    return rows[0]?.newest != null && Number(rows[0].newest) >= newest;
  } catch {
    return false; // no migrations table yet: a new database
  }
}

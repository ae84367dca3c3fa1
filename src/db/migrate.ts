// Applies the committed drizzle-kit migrations under a Postgres advisory lock, so several gateways
// starting at once migrate exactly once.
import { join } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type { Database } from "./client.ts";
import { quoteIdent } from "./client.ts";
import { PROJECT_ROOT } from "../package-root.ts";

export const MIGRATIONS_FOLDER = join(PROJECT_ROOT, "migrations");
const MIGRATION_LOCK_KEY = 0x6761_7465; // "gate"

export async function migrateDatabase(database: Database): Promise<void> {
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

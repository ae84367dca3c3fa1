// One database code path for every deployment: a `pg` pool (real PostgreSQL or the embedded socket)
// wrapped by drizzle. `schema` isolates several gateways (or test files) in one database.
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as tables from "./schema/index.ts";

export type Db = NodePgDatabase<typeof tables>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  schema: string;
  close(): Promise<void>;
}

export function connectDatabase(url: string, options: { schema?: string; max?: number } = {}): Database {
  const schema = options.schema ?? "public";
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    options: schema === "public" ? undefined : `-c search_path=${quoteIdent(schema)},public`,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process.
  pool.on("error", () => {});
  let closing: Promise<void> | undefined;
  return {
    db: drizzle(pool, { schema: tables }),
    pool,
    schema,
    close: () => (closing ??= pool.end().catch(() => {})),
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

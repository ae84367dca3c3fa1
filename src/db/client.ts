// One database code path for every deployment: a `pg` pool (real PostgreSQL or the embedded socket)
// wrapped by drizzle. `schema` isolates several gateways (or test files) in one database.
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import { withinDeadline } from "./deadline.ts";
import * as tables from "./schema/index.ts";

export type Db = NodePgDatabase<typeof tables>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  schema: string;
  /**
   * Whether hot statements may be named (prepared once per connection, planned from then on from a
   * cached plan): true on PostgreSQL, set by openStorage. Not on PGlite, whose socket connections share
   * one session (and so one namespace of statement names). Default false.
   */
  namesStatements: boolean;
  close(): Promise<void>;
}

/** A named statement where the database keeps one per connection (Database.namesStatements); else unnamed. */
export function statement(database: Database, name: string, text: string, values: unknown[]): pg.QueryConfig {
  return database.namesStatements ? { name, text, values } : { text, values };
}

export function connectDatabase(url: string, options: { schema?: string; max?: number } = {}): Database {
  const schema = options.schema ?? "public";
  const pool = new DeadlinePool({
    connectionString: url,
    max: options.max ?? 10,
    options: schema === "public" ? undefined : `-c search_path=${quoteIdent(schema)},public`,
    // A backstop only: ends a connection attempt stuck far past the wait below (deadline.ts).
    connectionTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process.
  pool.on("error", () => {});
  let closing: Promise<void> | undefined;
  return {
    db: drizzle(pool, { schema: tables }),
    pool,
    schema,
    namesStatements: false,
    close: () => (closing ??= pool.end().catch(() => {})),
  };
}

/** How long a query waits for a connection: responsive time, so a burst that keeps the event loop busy does not count (deadline.ts). */
export const CONNECT_WAIT_MS = 5_000;

/**
 * One query that gets `timeoutMs` of responsive time (deadline.ts) to answer once it has a connection
 * (the wait for one has its own, CONNECT_WAIT_MS); on timeout its connection is ended, not reused.
 */
export async function queryWithin<R extends pg.QueryResultRow>(pool: pg.Pool, query: pg.QueryConfig, timeoutMs: number): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  let brokenBy: Error | undefined;
  // A checked-out client with no 'error' listener crashes the process when its socket dies.
  const onClientError = (error: Error) => (brokenBy ??= error);
  client.on("error", onClientError);
  try {
    return await withinDeadline(client.query<R>(query), timeoutMs, () => {
      brokenBy ??= new Error(`no answer from PostgreSQL within ${timeoutMs} ms`);
      void client.end().catch(() => {});
      return brokenBy;
    });
  } catch (error) {
    throw brokenBy ?? error;
  } finally {
    client.off("error", onClientError);
    client.release(brokenBy);
  }
}

/** A pg pool whose wait for a connection is measured in responsive time (deadline.ts). */
class DeadlinePool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    const waiting = withinDeadline(
      super.connect(),
      CONNECT_WAIT_MS,
      () => new Error("timeout exceeded when trying to connect"),
      (client) => client.release(),
    );
    if (!callback) return waiting;
    waiting.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (error: Error) => callback(error, undefined, () => {}),
    );
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

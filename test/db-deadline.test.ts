// Database timeouts count responsive time only (src/db/deadline.ts): while a burst keeps the event loop
// busy, an answer that has arrived waits in its socket, and a plain timer fires before the loop reads
// it, declaring a healthy database unavailable. These tests keep the loop busy on purpose (a synchronous
// spin, as thousands of arriving requests would) and check what a caller gets.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { startDeadline } from "../src/db/deadline.ts";
import { queryWithin } from "../src/db/index.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

/** Keeps the event loop busy for `ms`, as a burst of synchronous work would. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("deadlines in responsive time", () => {
  it("a busy loop does not use up a deadline; an idle one does", async () => {
    let isExpired = false;
    const expired = new Promise<void>((resolve) => startDeadline(300, () => ((isExpired = true), resolve())));
    spin(1_000);
    // The ticker (due during the spin) runs in the next timers phase and checks in that turn's check phase.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await nextTurn();
    assert.equal(isExpired, false, "expired during a busy second of a 300 ms deadline");
    await expired;
  });

  it("a cancelled deadline never expires", async () => {
    let isCancelledExpired = false;
    const cancel = startDeadline(50, () => (isCancelledExpired = true));
    cancel();
    await new Promise<void>((resolve) => startDeadline(200, resolve));
    assert.equal(isCancelledExpired, false);
  });
});

describe("a query whose answer arrived while the loop was busy", () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  before(async () => {
    db = await openTestDatabase({ schemaPrefix: "gh_deadline" });
    pool = db.database.pool;
    await pool.query("SELECT 1"); // a connection ready in the pool
  });
  after(() => db.close());

  // The query is on its way once the pool has handed out a connection (process.nextTick and promise
  // jobs, all before setImmediate): then the loop is kept busy while the answer arrives.
  it("is answered with queryWithin", async () => {
    const answer = queryWithin<{ n: number }>(pool, { text: "SELECT 41 + 1 AS n" }, 300);
    setImmediate(() => spin(1_000));
    assert.equal((await answer).rows[0]!.n, 42);
  });

  it("is timed out by pg's own query_timeout (what held calls met before)", async () => {
    const query: pg.QueryConfig & { query_timeout: number } = { text: "SELECT 41 + 1 AS n", query_timeout: 300 };
    const answer = pool.query(query);
    setImmediate(() => spin(1_000));
    await assert.rejects(answer, /Query read timeout/);
  });

  it("still times out when the database does not answer, with an idle loop", async () => {
    await assert.rejects(queryWithin(pool, { text: "SELECT pg_sleep(5)" }, 300), /^Error: no answer from PostgreSQL within 300 ms$/);
    // The connection that timed out was ended, not returned busy: the pool still answers.
    assert.equal((await queryWithin<{ n: number }>(pool, { text: "SELECT 1 AS n" }, 5_000)).rows[0]!.n, 1);
  });
});

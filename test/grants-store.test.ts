// How the gateway checks agent tokens (src/grants/store.ts): requests arriving together with one token
// share one database lookup (10,000 agents connecting at once made 10,000 queries and starved the pool
// until requests were refused "cannot check grant tokens"), and a revocation is never undone by a lookup
// that was already in flight.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createGrantStore, type GrantStore } from "../src/grants/store.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

describe("grant token checks", () => {
  let db: TestDatabase;
  let store: GrantStore;
  /** Connections the pool handed out: one per query outside a transaction. */
  let checkouts = 0;

  before(async () => {
    db = await openTestDatabase({ schemaPrefix: "gh_grants" });
    db.database.pool.on("acquire", () => (checkouts += 1));
    store = createGrantStore(db.database);
  });
  after(() => db.close());

  it("answers 200 requests arriving together with one token from one lookup", async () => {
    const created = await store.create("burst-agent");
    assert.ok(created.ok);
    checkouts = 0;
    const grants = await Promise.all(Array.from({ length: 200 }, () => store.authenticate(created.token)));
    assert.equal(checkouts, 1);
    assert.ok(grants.every((grant) => grant?.name === "burst-agent"));
  });

  it("refuses a token once its grant is revoked, even when a lookup was in flight during the revocation", async () => {
    const created = await store.create("revoked-agent");
    assert.ok(created.ok);
    const inFlight = store.authenticate(created.token);
    assert.equal(await store.revoke("revoked-agent"), true);
    await inFlight; // the grant or null: it raced the revocation
    assert.equal(await store.authenticate(created.token), null);
    // A wrong token is refused too, and shares nothing with the others.
    assert.equal(await store.authenticate("ghk_not-a-token"), null);
  });
});

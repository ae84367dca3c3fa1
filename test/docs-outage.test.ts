// docs/architecture.md, "Postgres down": a token the gateway has not cached cannot be checked, so the
// request is refused with HTTP 503 and a plain sentence (no SQL), and /readyz says the database is down.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openDatabaseBehindProxy, type DatabaseBehindProxy } from "./helpers/database-proxy.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } } };

describe(`docs/architecture.md: Postgres down (${storageLabel()})`, () => {
  let db: DatabaseBehindProxy;
  let gw: TestGateway;

  before(async () => {
    db = await openDatabaseBehindProxy("gh_docs_outage");
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: { version: "1", default: "allow" } }, databaseUrl: db.url, schema: db.schema });
  });
  after(async () => {
    db.proxy.restore();
    await gw?.close();
    await db?.close();
  });

  it("answers a token it cannot check with HTTP 503 'cannot check grant tokens', and /readyz with 503", async () => {
    const token = await gw.createToken("never-used-before-the-outage");
    db.proxy.cut();
    const response = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(INIT),
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "5");
    const body = (await response.json()) as { error: { message: string } };
    assert.equal(body.error.message, "Gatehouse cannot check grant tokens right now (its database is unavailable). Nothing was run; try again shortly.");
    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(((await ready.json()) as { database: string }).database, /^unreachable: /);
    db.proxy.restore();
  });
});

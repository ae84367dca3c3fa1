// docs/operations.md, "Grants and tokens": revocation is immediate in the gateway that revokes and
// reaches another gateway on the same database within its 5 s lookup cache.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

const skip = process.env.DATABASE_URL ? false : "several gateways need PostgreSQL (DATABASE_URL); the embedded database serves one gateway";
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } } };

describe(`docs/operations.md: revoking a grant on one of two gateways (${storageLabel()})`, { skip }, () => {
  let first: TestGateway;
  let second: TestGateway;
  const policies = { smartlead: { version: "1", default: "allow" } };

  const initializeStatus = async (gw: TestGateway, token: string) => {
    const response = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(INIT),
    });
    await response.body?.cancel();
    return response.status;
  };

  before(async () => {
    first = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies });
    second = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies,
      extraConfig: { storage: { schema: first.instance.database.schema } },
      databaseUrl: first.instance.databaseUrl,
    });
  });
  after(async () => {
    await second.close();
    await first.close();
  });

  it("refuses the token at once where it was revoked, and within 5 s on the other gateway", async () => {
    const token = await first.createToken("revoked-agent");
    assert.equal(await initializeStatus(second, token), 200, "the other gateway has looked the token up (and cached it)");
    const revoked = await fetch(`${first.url}/api/grants/revoked-agent`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(revoked.status, 200);
    assert.equal(await initializeStatus(first, token), 401);
    await waitUntil(() => initializeStatus(second, token), (status) => status === 401, 6_000);
  });
});

// GET /api/upstreams on a gateway no agent has used yet: the tool count is the upstream's, not 0.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

describe(`upstreams over the admin API before any agent listed tools (${storageLabel()})`, () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: { version: "1", default: "deny" } } });
  });
  after(() => gw.close());

  it("counts the demo upstream's 116 tools", async () => {
    const response = await fetch(`${gw.url}/api/upstreams`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const body = (await response.json()) as { upstreams: Array<{ name: string; state: string; toolCount: number }> };
    assert.deepEqual(body.upstreams.map((u) => [u.name, u.state, u.toolCount]), [["smartlead", "ready", 116]]);
  });
});

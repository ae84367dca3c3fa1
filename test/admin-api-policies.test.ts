// /api/policies over HTTP: the policy layer's values become the documented answers (422 with JSON Pointers,
// 409 on a stale version), a saved policy decides the next call, and only the admin may change it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const GET_CAMPAIGN = "smartlead_get_campaign";
const ALLOWING = { version: "1", default: "deny", tools: { "smartlead_get_*": {} } };
const DENYING = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [GET_CAMPAIGN]: { action: "deny", reason: "not today" } } };

describe(`policies over the admin API (${storageLabel()})`, () => {
  let gw: TestGateway;
  let reviewer: string;
  const call = async (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => {
    const response = await fetch(`${gw.url}/api/policies${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const text = (policy: unknown) => JSON.stringify(policy, null, 2);

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: ALLOWING } });
    reviewer = await gw.createReviewer("pat");
  });
  after(() => gw.close());

  it("lists and shows the policy with its version", async () => {
    const list = await call("GET", "");
    const [status] = list.body.policies as Array<{ upstream: string; version: number; isLoaded: boolean }>;
    assert.equal(status?.upstream, "smartlead");
    assert.equal(status?.version, 1, "the file seen at start is version 1");
    assert.equal(status?.isLoaded, true);
    const one = await call("GET", "/smartlead", undefined, reviewer);
    assert.equal(one.status, 200);
    assert.deepEqual(JSON.parse(String(one.body.content)), ALLOWING);
    assert.equal((await call("GET", "/nope")).status, 404);
  });

  it("answers an invalid candidate with each problem's JSON Pointer, and saves nothing", async () => {
    const bad = { version: "1", default: "sometimes", tools: {} };
    const checked = await call("POST", "/smartlead/validate", { content: text(bad) }, reviewer);
    assert.equal(checked.status, 200);
    assert.equal(checked.body.ok, false);
    assert.ok((checked.body.issues as Array<{ path: string }>).some((i) => i.path === "/default"));
    const refused = await call("PUT", "/smartlead", { content: text(bad) });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, "invalid_policy");
    assert.ok((refused.body.errors as Array<{ path: string; message: string }>).some((e) => e.path === "/default" && /line 3/.test(e.message)));
  });

  it("diffs and dry-runs a candidate against real audited calls", async () => {
    const agent = await gw.connect(await gw.createToken("dry-agent"));
    await agent.callTool({ name: GET_CAMPAIGN, arguments: { campaign_id: 1001 } });
    const diff = await call("POST", "/smartlead/diff", { content: text(DENYING) }, reviewer);
    assert.match(String(diff.body.diff), /\+\s+"smartlead_get_campaign": \{/);
    const dry = await call("POST", "/smartlead/dry-run", { content: text(DENYING), limit: 50 }, reviewer);
    assert.equal(dry.status, 200);
    const changed = dry.body.changed as Array<{ tool: string; before: { decision: string }; after: { decision: string } }>;
    assert.ok(changed.length >= 1);
    assert.ok(changed.every((c) => c.tool === GET_CAMPAIGN && c.before.decision === "allow" && c.after.decision === "deny"));
    const effective = await call("POST", "/smartlead/effective", { content: text(DENYING), grant: "dry-agent" }, reviewer);
    const tool = (effective.body.tools as Array<{ tool: string; decision: string }>).find((t) => t.tool === GET_CAMPAIGN);
    assert.equal(tool?.decision, "deny");
  });

  it("lets only the admin save; a save decides the next call; a stale version is refused; rollback restores", async () => {
    assert.equal((await call("PUT", "/smartlead", { content: text(DENYING) }, reviewer)).status, 403);
    const saved = await call("PUT", "/smartlead", { content: text(DENYING), expectedVersion: 1, comment: "pause reads" });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal((saved.body.version as { version: number; createdBy: string }).version, 2);
    assert.equal((saved.body.version as { createdBy: string }).createdBy, "admin");
    const agent = await gw.connect(await gw.createToken("after-save"));
    const denied = await agent.callTool({ name: GET_CAMPAIGN, arguments: { campaign_id: 1001 } });
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /not today/);

    const stale = await call("PUT", "/smartlead", { content: text(ALLOWING), expectedVersion: 1 });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, "version_conflict");

    const versions = (await call("GET", "/smartlead/versions", undefined, reviewer)).body.versions as Array<{ version: number }>;
    assert.deepEqual(versions.map((v) => v.version), [2, 1]);
    const old = await call("GET", "/smartlead/versions/1", undefined, reviewer);
    assert.deepEqual(JSON.parse(String(old.body.content)), ALLOWING);
    const rolled = await call("POST", "/smartlead/rollback", { version: 1, comment: "undo" });
    assert.equal(rolled.status, 200);
    assert.equal((rolled.body.version as { restoredFrom: number }).restoredFrom, 1);
    const allowed = await agent.callTool({ name: GET_CAMPAIGN, arguments: { campaign_id: 1001 } });
    assert.equal(allowed.isError, undefined, textOf(allowed));
  });
});

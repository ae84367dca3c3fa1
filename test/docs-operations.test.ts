// Sentences of docs/operations.md and docs/architecture.md no other test pinned down, checked through
// the real gateway: what a policy edit does to /metrics, the audit history and /readyz.
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

describe(`docs/operations.md: policy reloads seen from outside (${storageLabel()})`, () => {
  let gw: TestGateway;
  let policyFile: string;

  const metricValue = async (series: string) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const auditEventsOfType = async (type: string) => {
    const response = await fetch(`${gw.url}/api/audit/events?type=${type}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(response.status, 200);
    return ((await response.json()) as { rows: Array<{ type: string; upstream: string | null; actor: string; data: { issues?: string[] } }> }).rows;
  };

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: { version: "1", default: "deny", tools: { "smartlead_get_*": {} } } } });
    policyFile = `${gw.dir}/smartlead.policy.json`;
  });
  after(() => gw.close());

  it("counts the start-up load and a valid edit as reloaded, an invalid edit as error; the rejection is audited and on /readyz (503)", async () => {
    assert.equal(await metricValue('gatehouse_policy_reloads_total{upstream="smartlead",result="reloaded"}'), 1, "the load at start-up");
    const reloaded = once(gw.instance.events, "policy.reloaded");
    await writeFile(policyFile, JSON.stringify({ version: "1", default: "deny", tools: { "smartlead_get_*": {}, smartlead_list_campaigns: {} } }));
    await reloaded;
    assert.equal(await metricValue('gatehouse_policy_reloads_total{upstream="smartlead",result="reloaded"}'), 2);

    const rejected = once(gw.instance.events, "policy.error");
    await writeFile(policyFile, JSON.stringify({ version: "1", default: "maybe", tools: {} }));
    await rejected;
    assert.equal(await metricValue('gatehouse_policy_reloads_total{upstream="smartlead",result="error"}'), 1);

    // The audit writer commits in the background: wait for the event to land.
    const events = await waitUntil(() => auditEventsOfType("policy.rejected"), (items) => items.length > 0);
    assert.equal(events[0]?.upstream, "smartlead");
    assert.equal(events[0]?.actor, "system");
    assert.match((events[0]?.data.issues ?? []).join("\n"), /\/default/);

    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 503);
    const report = (await ready.json()) as { database: string; upstreams: Array<{ name: string }>; policies: Array<{ errors: string[] | null }> };
    assert.equal(report.database, "ok");
    assert.deepEqual(report.upstreams.map((u) => u.name), ["smartlead"]);
    assert.match(report.policies[0]?.errors?.join("\n") ?? "", /smartlead\.policy\.json: \/default: /, "the error names file, JSON path and problem");
  });
});

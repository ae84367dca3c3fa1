// Sentences of docs/approvals.md and docs/api.md no other test pinned down, checked through the real
// gateway: the heartbeat text with a channel, the sweep under lost notifications, the API's answers to a
// vote, and the admin API switched off.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: { [RECONNECT]: { action: "require_approval", approval: { channel: "C0APPROVALS", timeout: "15m", min_approvals: 2 } } },
};

describe(`docs/approvals.md: heartbeats and votes over the API (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: { ...FAST_APPROVALS, heartbeatSeconds: 0.2 } } });
    token = await gw.createToken("docs-agent");
  });
  after(() => gw.close());

  it("heartbeats say where a person was asked, the votes so far, the time left and the approval id", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    let heard: (message: string) => void = () => {};
    const firstHeartbeat = new Promise<string>((resolve) => (heard = resolve));
    const held = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [501] } } }, CallToolResultSchema, {
      onprogress: (p) => heard(p.message ?? ""),
    });
    const approval = await created;
    assert.match(await firstHeartbeat, new RegExp(`^Waiting for approval in C0APPROVALS: 0/2 approvals, 1[45] min \\d+ s left \\(approval ${approval.id}\\)$`));
    await decide(gw, approval.id, "deny", { reason: "not now" });
    assert.equal((await held).isError, true);
  });

  it("wakes a held call whose approval changed without a notification at the next sweep (approvals.pollMs)", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const held = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    const approval = await created;
    // As a process that lost its NOTIFY would leave it: the row changed, nobody told this gateway.
    await gw.instance.database.pool.query("UPDATE approvals SET status = 'denied', decided_by = 'admin', decided_at = now(), decision_reason = 'changed quietly', version = version + 1 WHERE id = $1", [approval.id]);
    const result = (await held) as { isError?: boolean; content: Array<{ text: string }> };
    assert.equal(result.isError, true);
    assert.match(result.content[0]!.text, /changed quietly/);
    await client.close();
  });

  it("answers a vote with the outcome and the voter's person id; the same person again gets 409 duplicate_vote", async () => {
    const alice = await gw.createReviewer("docs-alice", "U0ALICE");
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const held = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [505] } });
    const approval = await created;
    const first = await decide(gw, approval.id, "approve", { token: alice, reason: "looks fine" });
    assert.equal(first.status, 200);
    assert.equal(first.body.outcome, "recorded");
    assert.equal(first.body.voter, "slack:U0ALICE");
    const again = await decide(gw, approval.id, "approve", { token: alice });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "duplicate_vote");
    const decided = await decide(gw, approval.id, "approve");
    assert.equal(decided.status, 200);
    assert.equal(decided.body.outcome, "decided");
    assert.equal(decided.body.voter, "admin");
    assert.equal((decided.body.approval as { status: string }).status, "approved");
    await held;
  });
});

describe(`docs/api.md: without GATEHOUSE_ADMIN_TOKEN (${storageLabel()})`, () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, env: { GATEHOUSE_ADMIN_TOKEN: "" } });
  });
  after(() => gw.close());

  it("answers 503 admin_api_disabled to a request without a valid credential; reviewer tokens still work", async () => {
    for (const headers of [{}, { authorization: "Bearer admin-token-for-tests" }] as Array<Record<string, string>>) {
      const response = await fetch(`${gw.url}/api/approvals`, { headers });
      assert.equal(response.status, 503);
      assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
      assert.equal(((await response.json()) as { code: string }).code, "admin_api_disabled");
    }
    const reviewer = await gw.createReviewer("docs-rita");
    const listed = await fetch(`${gw.url}/api/approvals`, { headers: { authorization: `Bearer ${reviewer}` } });
    assert.equal(listed.status, 200);
  });
});

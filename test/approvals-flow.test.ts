// Held calls end to end without Slack: the agent's client holds (or gets a ticket), an operator
// decides over the admin API, and the demo upstream's state shows how often the call really ran.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { listToolCalls } from "../src/audit/index.ts";
import { ADMIN_TOKEN, decide, FAST_APPROVALS, nextApproval, reconnectCount } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } },
    smartlead_update_campaign_status: { action: "require_approval", approval: { timeout: "1s" } },
    smartlead_pause_lead_by_campaign: { action: "require_approval", approval: { wait: "ticket" } },
    smartlead_update_email_account: { action: "require_approval", approval: { min_approvals: 2 } },
  },
};

describe(`held calls decided over the admin API (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    token = await gw.createToken("held-agent", "U0OWNER");
  });
  after(() => gw.close());

  it("holds the call, runs it once when approved, and returns the upstream's result", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 502);
    const created = nextApproval(gw);
    const progress: string[] = [];
    const call = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [502] } } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.message ?? ""),
      resetTimeoutOnProgress: true,
    });
    const approval = await created;
    assert.equal(approval.status, "pending");
    assert.equal(approval.tool, RECONNECT);
    assert.equal(await reconnectCount(client, 502), before, "nothing runs before approval");

    const alice = await gw.createReviewer("alice");
    const approved = await decide(gw, approval.id, "approve", { token: alice });
    assert.equal(approved.status, 200);
    assert.equal(approved.body.voter, "reviewer:alice");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.match(textOf(result), /"reconnected_count":\s*1/);
    assert.equal(result._meta?.["gatehouse/approval_id"], approval.id);
    assert.equal(await reconnectCount(client, 502), before + 1, "executed exactly once");
    assert.match(progress[0] ?? "", new RegExp(`Waiting for approval: 0/1 approvals, .* left \\(approval ${approval.id}\\)`));

    const again = await decide(gw, approval.id, "approve", { token: await gw.createReviewer("bob") });
    assert.equal(again.status, 409, "a late click changes nothing");
    const stored = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(stored?.status, "succeeded");
    assert.equal(stored?.decidedBy, "reviewer:alice");
    const { rows } = await listToolCalls(gw.instance.database, { tool: RECONNECT, limit: 10 });
    assert.equal(rows.find((r) => r.id === approval.callId)?.status, "succeeded");
    const byReviewer = await fetch(`${gw.url}/api/audit?reviewer=alice`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const reviewed = (await byReviewer.json()) as { rows: Array<{ id: string }> };
    assert.deepEqual(reviewed.rows.map((r) => r.id), [approval.callId], "the audit API finds calls by who decided them");
    const badCursor = await fetch(`${gw.url}/api/audit?cursor=not-a-cursor`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(badCursor.status, 400);
  });

  it("returns the reason when denied, names the admin as the person who denied, and runs nothing", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 503);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    const approval = await created;
    const denied = await decide(gw, approval.id, "deny", { reason: "mailbox 503 is being migrated" });
    assert.equal(denied.status, 200);
    assert.equal(denied.body.voter, "admin");
    const result = await call;
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "Denied by an administrator: mailbox 503 is being migrated. The call was not executed.");
    const stored = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(stored?.decidedBy, "admin");
    assert.deepEqual(stored?.votes.map((v) => v.voter), ["admin"]);
    assert.equal(await reconnectCount(client, 503), before);
  });

  it("expires an undecided call at its timeout and tells the agent", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: "smartlead_update_campaign_status", arguments: { campaign_id: 1001, status: "PAUSED" } });
    const approval = await created;
    const result = await call;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /expired after 1s without a decision\. The call was not executed\./);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "expired");
    assert.equal((await decide(gw, approval.id, "approve")).status, 409);
  });

  it("answers at once with the pending answer in ticket mode; approved, the call runs only when the agent comes back", async () => {
    const client = await gw.connect(token);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("gatehouse_approval_status"));
    const ticket = await client.callTool({ name: "smartlead_pause_lead_by_campaign", arguments: { campaign_id: 1001, lead_id: 3001 } });
    assert.equal(ticket.isError, true, "the call did not do its work yet");
    const id = ticket._meta?.["gatehouse/approval_id"] as string;
    assert.equal(ticket._meta?.["gatehouse/approval_status"], "pending");
    assert.equal(ticket._meta?.["gatehouse/call_again"], true);
    assert.match(textOf(ticket), new RegExp(`smartlead_pause_lead_by_campaign has NOT run: .*approval ${id}.*call smartlead_pause_lead_by_campaign again with exactly the same arguments.*gatehouse_approval_status`));

    assert.equal((await decide(gw, id, "approve")).status, 200);
    await gw.instance.approvals.runtime.reap();
    assert.equal((await gw.instance.approvals.repo.get(id))?.status, "approved", "nobody attached: approved, not run");

    const status = await client.callTool({ name: "gatehouse_approval_status", arguments: { id } });
    assert.equal(status._meta?.["gatehouse/approval_status"], "succeeded", textOf(status));
    assert.doesNotMatch(textOf(status), /has NOT run/);

    const stranger = await gw.connect(await gw.createToken("other-grant"));
    const hidden = await stranger.callTool({ name: "gatehouse_approval_status", arguments: { id } });
    assert.equal(hidden.isError, true, "another grant cannot read this approval");
    assert.equal(textOf(hidden), `No approval ${id} for this agent.`);
  });

  it("needs two distinct people when min_approvals is 2: the same reviewer token twice, or the admin twice, counts once", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: "smartlead_update_email_account", arguments: { email_account_id: 501, name: "Renamed" } });
    const approval = await created;
    const dave = await gw.createReviewer("dave");
    assert.equal((await decide(gw, approval.id, "approve", { token: dave })).body.outcome, "recorded");
    const again = await decide(gw, approval.id, "approve", { token: dave });
    assert.equal(again.status, 409);
    assert.match(String(again.body.detail), /reviewer:dave already voted/);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");
    assert.equal((await decide(gw, approval.id, "approve", { token: await gw.createReviewer("erin") })).body.outcome, "decided");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual((await gw.instance.approvals.repo.get(approval.id))?.votes.map((v) => v.voter), ["reviewer:dave", "reviewer:erin"]);

    const second = nextApproval(gw);
    const secondCall = client.callTool({ name: "smartlead_update_email_account", arguments: { email_account_id: 502, name: "Renamed twice" } });
    const other = await second;
    assert.equal((await decide(gw, other.id, "approve")).body.outcome, "recorded");
    assert.equal((await decide(gw, other.id, "approve")).status, 409, "the admin token is one person");
    assert.equal((await gw.instance.approvals.repo.get(other.id))?.status, "pending");
    assert.equal((await decide(gw, other.id, "approve", { token: dave })).body.outcome, "decided");
    assert.equal((await secondCall).isError, undefined);
  });

  it("takes reviewer tokens for reviewing but not for managing credentials, refuses removed reviewers, and does not let the body choose who votes", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } });
    const approval = await created;
    const frank = await gw.createReviewer("frank");
    const as = (bearer: string) => ({ headers: { authorization: `Bearer ${bearer}` } });

    const listed = await fetch(`${gw.url}/api/approvals?status=pending`, as(frank));
    assert.equal(listed.status, 200);
    assert.ok(((await listed.json()) as { approvals: Array<{ id: string }> }).approvals.some((a) => a.id === approval.id));
    assert.equal((await fetch(`${gw.url}/api/approvals/${approval.id}`, as(frank))).status, 200);
    // Reviewers read the audit history and policies (they review); managing credentials is the admin's.
    for (const path of ["/api/audit", "/api/policies"]) assert.equal((await fetch(`${gw.url}${path}`, as(frank))).status, 200, path);
    for (const path of ["/api/grants", "/api/reviewers"]) {
      const refused = await fetch(`${gw.url}${path}`, as(frank));
      assert.equal(refused.status, 403, path);
      assert.match(refused.headers.get("content-type") ?? "", /application\/problem\+json/);
      assert.equal(((await refused.json()) as { title: string }).title, "admin_only");
    }

    const withActor = await decide(gw, approval.id, "approve", { token: frank, body: { actor: "somebody-else", reason: "fine" } });
    assert.equal(withActor.status, 400);
    assert.equal(withActor.body.title, "actor_not_accepted");
    assert.match(String(withActor.body.detail), /votes are cast as the person the credential belongs to \(this one votes as reviewer:frank\)/);
    const adminWithActor = await decide(gw, approval.id, "approve", { body: { actor: "alice" } });
    assert.equal(adminWithActor.status, 400);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.votes.length, 0, "nothing was counted");

    assert.equal((await gw.instance.reviewers.remove("frank")), true);
    const removed = await decide(gw, approval.id, "approve", { token: frank });
    assert.equal(removed.status, 401);
    assert.equal((await fetch(`${gw.url}/api/approvals`, as(frank))).status, 401);
    assert.equal((await fetch(`${gw.url}/api/approvals`, as("ghr_not-a-reviewer"))).status, 401);
    const readded = await gw.instance.reviewers.add("frank");
    assert.ok(readded.ok, "a removed reviewer's name can be added again, with a new token");
    assert.equal((await fetch(`${gw.url}/api/approvals`, as(readded.token))).status, 200);
    assert.equal((await fetch(`${gw.url}/api/approvals`, as(frank))).status, 401, "the old token stays dead");

    const approved = await decide(gw, approval.id, "approve");
    assert.deepEqual([approved.status, approved.body.voter], [200, "admin"]);
    assert.equal((await call).isError, undefined);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.decidedBy, "admin");
  });

  it("cancels the approval when the client cancels a held request, and never runs it", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 504);
    const created = nextApproval(gw);
    const controller = new AbortController();
    const call = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [504] } } }, CallToolResultSchema, { signal: controller.signal });
    const approval = await created;
    const cancelled = nextApproval(gw, "cancelled", approval.id);
    controller.abort("agent gave up");
    await assert.rejects(call);
    assert.equal((await cancelled).status, "cancelled");
    assert.equal((await decide(gw, approval.id, "approve")).status, 409);
    assert.equal(await reconnectCount(client, 504), before);
  });

  it("runs an approved call once under five concurrent approvals", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 505);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [505] } });
    const approval = await created;
    const [p1, p2] = [await gw.createReviewer("p1"), await gw.createReviewer("p2")];
    const votes = await Promise.all([p1, p2, p1, p2, p1].map((reviewer) => decide(gw, approval.id, "approve", { token: reviewer })));
    assert.equal(votes.filter((v) => v.status === 200).length, 1, JSON.stringify(votes.map((v) => v.status)));
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(await reconnectCount(client, 505), before + 1);
  });
});

// Held calls decided in Slack, end to end: the real gateway with its Slack app in HTTP mode, a
// local stand-in of the Slack Web API (the one fake: Slack is unreachable here), and interaction
// payloads signed and posted to /slack/events the way Slack posts them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { listAuditEvents } from "../src/audit/index.ts";
import { decide, FAST_APPROVALS, nextApproval, reconnectCount } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import {
  buttonClickPayload,
  denyReasonSubmissionPayload,
  formEncodePayload,
  postInteraction,
  postSignedSlackRequest,
  startSlackApiStandIn,
  type SlackApiCall,
  type SlackApiStandIn,
} from "./helpers/slack-api.ts";

const SECRET = "test-signing-secret";
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { approvers: ["U0ALICE", "U0OWNER", "S0OPS"], timeout: "10m" } },
    smartlead_update_email_account: { action: "require_approval", approval: { min_approvals: 2 } },
    smartlead_update_campaign_status: { action: "require_approval", approval: { timeout: "1s" } },
  },
};

const blocksText = (call: SlackApiCall) => JSON.stringify(call.body.blocks ?? "");

describe(`held calls decided in Slack (${storageLabel()})`, () => {
  let slack: SlackApiStandIn;
  let gw: TestGateway;
  let token: string;
  const click = (action: string, id: string, userId: string) => postInteraction(gw.url, buttonClickPayload(action, id, { userId }), { secret: SECRET });

  before(async () => {
    slack = await startSlackApiStandIn();
    slack.setGroupMembers("S0OPS", ["U0BOB"]);
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: { ...FAST_APPROVALS, channel: "C0APPROVALS" } },
      env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url },
    });
    token = await gw.createToken("slack-agent", "U0OWNER");
  });
  after(async () => {
    await gw.close();
    await slack.close();
  });

  it("posts the request, releases the call on Approve, runs it once and updates the message", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 502);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [502] } });
    const approval = await created;
    const posted = await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    assert.equal(posted.body.channel, "C0APPROVALS");
    const text = blocksText(posted);
    assert.match(text, new RegExp(RECONNECT));
    assert.match(text, /slack-agent/);
    assert.match(text, /gatehouse_approve/);
    assert.match(text, /gatehouse_deny_reason/);

    const clicked = await click("gatehouse_approve", approval.id, "U0ALICE");
    assert.equal(clicked.status, 200);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    const finished = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(finished?.status, "succeeded");
    assert.equal(finished?.decidedBy, "<@U0ALICE>");
    assert.equal(await reconnectCount(client, 502), before + 1, "executed exactly once");
    const updated = await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Approved and run/.test(blocksText(c)));
    assert.match(blocksText(updated), /U0ALICE/);
    assert.doesNotMatch(blocksText(updated), /"type":"actions"/, "buttons are gone");
  });

  it("returns the reviewer's reason from the Deny-with-reason modal", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    assert.equal((await click("gatehouse_deny_reason", approval.id, "U0ALICE")).status, 200);
    await slack.waitFor("views.open", (c) => JSON.stringify(c.body).includes(approval.id));
    const submitted = await postInteraction(gw.url, denyReasonSubmissionPayload(approval.id, "503 is being migrated today", { userId: "U0ALICE" }), { secret: SECRET });
    assert.equal(submitted.status, 200);
    const result = await call;
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "Denied by Slack user U0ALICE: 503 is being migrated today. The call was not executed.", "no Slack markup reaches the agent");
  });

  it("refuses clickers who are not approvers and the grant's owner, with an ephemeral note and an audit event", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 504);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [504] } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));

    await click("gatehouse_approve", approval.id, "U0MALLORY");
    const note = await slack.waitFor("chat.postEphemeral", (c) => c.body.user === "U0MALLORY");
    assert.match(String(note.body.text), /not allowed/i);
    await click("gatehouse_approve", approval.id, "U0OWNER");
    const selfNote = await slack.waitFor("chat.postEphemeral", (c) => c.body.user === "U0OWNER");
    assert.match(String(selfNote.body.text), /self-approval/);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");
    const refused = await listAuditEvents(gw.instance.database, { type: "approval.vote_refused", limit: 10 });
    assert.ok(refused.rows.some((r) => r.actor === "slack:T0GATEHSE:U0MALLORY"));

    // A member of the approver group S0OPS may decide.
    await click("gatehouse_approve", approval.id, "U0BOB");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(await reconnectCount(client, 504), before + 1);
  });

  it("runs the call once under five concurrent Approve clicks from two people", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 505);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [505] } });
    const approval = await created;
    const clicks = await Promise.all(["U0ALICE", "U0BOB", "U0ALICE", "U0BOB", "U0ALICE"].map((user) => click("gatehouse_approve", approval.id, user)));
    assert.deepEqual(clicks.map((c) => c.status), [200, 200, 200, 200, 200]);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(await reconnectCount(client, 505), before + 1, "executed exactly once");
    const votes = (await gw.instance.approvals.repo.get(approval.id))?.votes ?? [];
    assert.equal(new Set(votes.map((v) => v.voter)).size, votes.length, "each person's vote counts once");
  });

  it("needs two distinct people for a quorum of two", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: "smartlead_update_email_account", arguments: { email_account_id: 501, name: "Quorum" } });
    const approval = await created;
    await click("gatehouse_approve", approval.id, "U0ALICE");
    await click("gatehouse_approve", approval.id, "U0ALICE");
    const afterOne = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(afterOne?.status, "pending");
    assert.equal(afterOne?.votes.length, 1);
    await click("gatehouse_approve", approval.id, "U0CAROL");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
  });

  it("answers bad, stale, replayed and tampered requests with 401 and changes nothing", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } });
    const approval = await created;
    const body = formEncodePayload(buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0ALICE" }));

    const badSignature = await postSignedSlackRequest(gw.url, body, { secret: SECRET, headers: { "x-slack-signature": "v0=deadbeef" } });
    const stale = await postSignedSlackRequest(gw.url, body, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const tampered = await postSignedSlackRequest(gw.url, body, {
      secret: SECRET,
      signedBody: formEncodePayload(buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0ALICE" })),
    });
    assert.deepEqual([badSignature.status, stale.status, tampered.status], [401, 401, 401]);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");

    const timestamp = Math.floor(Date.now() / 1000);
    const denyBody = formEncodePayload(buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0ALICE" }));
    assert.equal((await postSignedSlackRequest(gw.url, denyBody, { secret: SECRET, timestamp })).status, 200);
    assert.equal((await postSignedSlackRequest(gw.url, denyBody, { secret: SECRET, timestamp })).status, 401, "a replay is refused");
    assert.equal((await call).isError, true);
  });

  it("updates the message on expiry", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: "smartlead_update_campaign_status", arguments: { campaign_id: 1001, status: "PAUSED" } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    assert.match(textOf(await call), /expired/);
    await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Expired/.test(blocksText(c)));
  });

  it("updates the message when the agent's client cancels a held request, and runs nothing", async () => {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, 501);
    const created = nextApproval(gw);
    const controller = new AbortController();
    const call = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [501] } } }, CallToolResultSchema, { signal: controller.signal });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    controller.abort();
    await assert.rejects(call);
    await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Cancelled/i.test(blocksText(c)));
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "cancelled");
    await click("gatehouse_approve", approval.id, "U0ALICE");
    assert.equal(await reconnectCount(client, 501), before, "a click after the cancel runs nothing");
  });

  it("keeps the approval pending and decidable while Slack fails, then posts the message", async () => {
    slack.failNext("chat.postMessage", 2, { kind: "error", error: "ratelimited" });
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: "smartlead_update_email_account", arguments: { email_account_id: 505, name: "While Slack is down" } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => c.body.channel === "C0APPROVALS" && slack.callsTo("chat.postMessage").length >= 1);
    assert.equal((await decide(gw, approval.id, "approve", { actor: "ops-1" })).status, 200, "decidable over the API meanwhile");
    assert.equal((await decide(gw, approval.id, "approve", { actor: "ops-2" })).status, 200);
    assert.equal((await call).isError, undefined);
    // The retried notification still reaches Slack, showing the final state.
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
  });
});

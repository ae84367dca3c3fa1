// Held calls decided in Slack, end to end: the real gateway with its Slack app in HTTP mode, a
// local stand-in of the Slack Web API (the one fake: Slack is unreachable here), and interaction
// payloads signed and posted to /slack/events the way Slack posts them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { listAuditEvents } from "../src/audit/index.ts";
import type { SlackMessageRef } from "../src/approvals/index.ts";
import { decide, FAST_APPROVALS, nextApproval, postedMessage, reconnectCount } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import {
  buttonClickPayload,
  denyReasonSubmissionPayload,
  formEncodePayload,
  openedModalMetadata,
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
  /** A signed click on `message` (by default the message posted for approval `id`). */
  const click = async (action: string, id: string, userId: string, options: { message?: SlackMessageRef; teamId?: string } = {}) =>
    postInteraction(gw.url, buttonClickPayload(action, id, { userId, teamId: options.teamId, message: options.message ?? (await postedMessage(gw, slack, id)) }), { secret: SECRET });
  /** The first ephemeral note to `user` matching `text` sent after `mark` (= slack.calls.length before the click). */
  const noteAfter = (mark: number, user: string, text: RegExp) =>
    slack.waitFor("chat.postEphemeral", (c) => slack.calls.indexOf(c) >= mark && c.body.user === user && text.test(String(c.body.text)));
  /** Holds a call and resolves once its approval exists. */
  const hold = async (name: string, args: Record<string, unknown>) => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name, arguments: args });
    return { client, call, approval: await created };
  };

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
    assert.equal(finished?.decidedBy, "slack:U0ALICE");
    assert.deepEqual(finished?.votes.map((v) => v.voter), ["slack:U0ALICE"]);
    assert.equal(await reconnectCount(client, 502), before + 1, "executed exactly once");
    const updated = await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Approved and run/.test(blocksText(c)));
    assert.match(blocksText(updated), /Approved\* by <@U0ALICE>/);
    assert.doesNotMatch(blocksText(updated), /"type":"actions"/, "buttons are gone");
  });

  it("returns the reviewer's reason from the Deny-with-reason modal to the agent, without Slack markup", async () => {
    const { call, approval } = await hold(RECONNECT, { email_account_ids: [503] });
    assert.equal((await click("gatehouse_deny_reason", approval.id, "U0ALICE")).status, 200);
    const opened = await slack.waitFor("views.open", (c) => JSON.stringify(c.body).includes(approval.id));
    const reason = "503 is being migrated today: ask <@U0BOB> in <#C0OPS|ops>, see <https://wiki.example/503|the runbook>";
    const submitted = await postInteraction(gw.url, denyReasonSubmissionPayload(openedModalMetadata(opened), reason, { userId: "U0ALICE" }), { secret: SECRET });
    assert.equal(submitted.status, 200);
    const result = await call;
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "Denied by Slack user U0ALICE: 503 is being migrated today: ask @U0BOB in #ops, see the runbook (https://wiki.example/503). The call was not executed.");
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.decidedBy, "slack:U0ALICE");
    const updated = await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Denied/.test(blocksText(c)));
    assert.match(blocksText(updated), /Denied\* by <@U0ALICE>/);
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
    assert.ok(refused.rows.some((r) => r.actor === "slack:U0MALLORY"));

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
    const message = await postedMessage(gw, slack, approval.id);
    const clicks = await Promise.all(["U0ALICE", "U0BOB", "U0ALICE", "U0BOB", "U0ALICE"].map((user) => click("gatehouse_approve", approval.id, user, { message })));
    assert.deepEqual(clicks.map((c) => c.status), [200, 200, 200, 200, 200]);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(await reconnectCount(client, 505), before + 1, "executed exactly once");
    const votes = (await gw.instance.approvals.repo.get(approval.id))?.votes ?? [];
    assert.equal(new Set(votes.map((v) => v.voter)).size, votes.length, "each person's vote counts once");
  });

  it("needs two distinct people for a quorum of two: one Slack user clicking from two team ids counts once", async () => {
    const { call, approval } = await hold("smartlead_update_email_account", { email_account_id: 501, name: "Quorum" });
    await click("gatehouse_approve", approval.id, "U0ALICE");
    const mark = slack.calls.length;
    await click("gatehouse_approve", approval.id, "U0ALICE", { teamId: "T0OTHERWS" });
    await noteAfter(mark, "U0ALICE", /^You have already voted on this call\.$/);
    const afterOne = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(afterOne?.status, "pending");
    assert.deepEqual(afterOne?.votes.map((v) => v.voter), ["slack:U0ALICE"]);
    await click("gatehouse_approve", approval.id, "U0CAROL");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
  });

  it("counts a reviewer linked to a Slack user and that user's click as one person", async () => {
    const aliceToken = await gw.createReviewer("alice-linked", "U0ALICE");
    const { call, approval } = await hold("smartlead_update_email_account", { email_account_id: 502, name: "Linked" });
    const viaApi = await decide(gw, approval.id, "approve", { token: aliceToken });
    assert.deepEqual([viaApi.status, viaApi.body.outcome, viaApi.body.voter], [200, "recorded", "slack:U0ALICE"]);
    const mark = slack.calls.length;
    await click("gatehouse_approve", approval.id, "U0ALICE");
    await noteAfter(mark, "U0ALICE", /^You have already voted on this call\.$/);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");
    await click("gatehouse_approve", approval.id, "U0DAN");
    assert.equal((await call).isError, undefined);
    const votes = (await gw.instance.approvals.repo.get(approval.id))?.votes.map((v) => v.voter);
    assert.deepEqual(votes, ["slack:U0ALICE", "slack:U0DAN"]);
  });

  it("holds reviewers to the same rules as Slack users: approvers (users and groups), self-approval, unlinked reviewers", async () => {
    const { call, approval } = await hold(RECONNECT, { email_account_ids: [505, 503] });
    const mallory = await decide(gw, approval.id, "approve", { token: await gw.createReviewer("mallory", "U0MALLORY") });
    assert.equal(mallory.status, 403);
    assert.match(String(mallory.body.detail), /you are not one of this tool's approvers/);
    const owner = await decide(gw, approval.id, "approve", { token: await gw.createReviewer("owner", "U0OWNER") });
    assert.equal(owner.status, 403);
    assert.match(String(owner.body.detail), /self-approval is off/);
    const unlinked = await decide(gw, approval.id, "approve", { token: await gw.createReviewer("unlinked") });
    assert.equal(unlinked.status, 403);
    assert.match(String(unlinked.body.detail), /approver list, and a reviewer not linked to a Slack user id cannot be on it/);
    const refused = await listAuditEvents(gw.instance.database, { type: "approval.vote_refused", limit: 100 });
    const unlinkedRefusal = refused.rows.find((r) => r.actor === "reviewer:unlinked" && (r.data as { approvalId?: string }).approvalId === approval.id);
    assert.equal((unlinkedRefusal?.data as { via?: string } | undefined)?.via, "reviewer:unlinked");
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");

    // U0BOB is in the approver group S0OPS: his reviewer credential may decide; the audit names the credential.
    const bob = await decide(gw, approval.id, "approve", { token: await gw.createReviewer("bob", "U0BOB") });
    assert.deepEqual([bob.status, bob.body.voter], [200, "slack:U0BOB"]);
    assert.equal((await call).isError, undefined);
    const approvedEvents = await listAuditEvents(gw.instance.database, { type: "approval.approved", limit: 100 });
    const decision = approvedEvents.rows.find((r) => (r.data as { approvalId?: string }).approvalId === approval.id);
    assert.equal(decision?.actor, "slack:U0BOB");
    assert.equal((decision?.data as { via?: string } | undefined)?.via, "reviewer:bob");

    // The admin is an operator: the approver list does not apply.
    const other = await hold(RECONNECT, { email_account_ids: [504, 502] });
    const admin = await decide(gw, other.approval.id, "approve");
    assert.deepEqual([admin.status, admin.body.voter], [200, "admin"]);
    assert.equal((await other.call).isError, undefined);
  });

  it("refuses a signed click for one approval that comes from another approval's message, and the deny-reason modal path too", async () => {
    const x = await hold(RECONNECT, { email_account_ids: [501, 505] });
    const y = await hold(RECONNECT, { email_account_ids: [502, 503] });
    const xMessage = await postedMessage(gw, slack, x.approval.id);
    const yMessage = await postedMessage(gw, slack, y.approval.id);
    assert.notEqual(xMessage.ts, yMessage.ts);
    const refusals = async () => (await listAuditEvents(gw.instance.database, { type: "approval.vote_refused", limit: 1000 })).rows.filter((r) => (r.data as { approvalId?: string }).approvalId === x.approval.id);

    const mark = slack.calls.length;
    await click("gatehouse_approve", x.approval.id, "U0ALICE", { message: yMessage });
    const note = await noteAfter(mark, "U0ALICE", /not allowed to approve this call: the button you used is not on the message posted for this approval/);
    assert.equal(note.body.channel, yMessage.channel);
    assert.equal((await gw.instance.approvals.repo.get(x.approval.id))?.status, "pending");
    assert.equal((await gw.instance.approvals.repo.get(x.approval.id))?.votes.length, 0);
    assert.equal((await refusals()).length, 1);
    assert.equal((await refusals())[0]?.actor, "slack:U0ALICE");

    // A payload whose container and message disagree names no message: refused too.
    const mixed = buttonClickPayload("gatehouse_approve", x.approval.id, { userId: "U0ALICE", message: xMessage });
    (mixed.message as { ts: string }).ts = yMessage.ts;
    await postInteraction(gw.url, mixed, { secret: SECRET });
    await waitFor(async () => (await refusals()).length === 2);
    assert.equal((await gw.instance.approvals.repo.get(x.approval.id))?.votes.length, 0);

    // Deny with reason…: the modal carries the message the button was on, and the submission is checked again.
    const trigger = buttonClickPayload("gatehouse_deny_reason", x.approval.id, { userId: "U0ALICE", message: yMessage });
    await postInteraction(gw.url, trigger, { secret: SECRET });
    const opened = await slack.waitFor("views.open", (c) => c.body.trigger_id === trigger.trigger_id);
    await postInteraction(gw.url, denyReasonSubmissionPayload(openedModalMetadata(opened), "forged", { userId: "U0ALICE" }), { secret: SECRET });
    await waitFor(async () => (await refusals()).length === 3);
    assert.equal((await gw.instance.approvals.repo.get(x.approval.id))?.status, "pending");

    // The same clicks from X's own message count.
    await click("gatehouse_approve", x.approval.id, "U0ALICE", { message: xMessage });
    assert.equal((await x.call).isError, undefined);
    await click("gatehouse_deny", y.approval.id, "U0ALICE", { message: yMessage });
    assert.equal((await y.call).isError, true);
  });

  it("answers bad, stale, replayed and tampered requests with 401 and changes nothing", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [501, 504] } });
    const approval = await created;
    const message = await postedMessage(gw, slack, approval.id);
    const body = formEncodePayload(buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0ALICE", message }));

    const badSignature = await postSignedSlackRequest(gw.url, body, { secret: SECRET, headers: { "x-slack-signature": "v0=deadbeef" } });
    const stale = await postSignedSlackRequest(gw.url, body, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const tampered = await postSignedSlackRequest(gw.url, body, {
      secret: SECRET,
      signedBody: formEncodePayload(buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0ALICE", message })),
    });
    assert.deepEqual([badSignature.status, stale.status, tampered.status], [401, 401, 401]);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");

    const timestamp = Math.floor(Date.now() / 1000);
    const denyBody = formEncodePayload(buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0ALICE", message }));
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
    const call = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [501, 503] } } }, CallToolResultSchema, { signal: controller.signal });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    controller.abort();
    await assert.rejects(call);
    await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Cancelled/i.test(blocksText(c)));
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "cancelled");
    await click("gatehouse_approve", approval.id, "U0ALICE");
    assert.equal(await reconnectCount(client, 501), before, "a click after the cancel runs nothing");
  });

  it("keeps the approval pending and decidable while Slack fails, refuses clicks until its message is posted, then posts it", async () => {
    slack.failNext("chat.postMessage", 2, { kind: "error", error: "ratelimited" });
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: "smartlead_update_email_account", arguments: { email_account_id: 505, name: "While Slack is down" } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => c.body.channel === "C0APPROVALS" && slack.callsTo("chat.postMessage").length >= 1);
    const mark = slack.calls.length;
    await click("gatehouse_approve", approval.id, "U0ERIN", { message: { channel: "C0APPROVALS", ts: "1700000000.000001" } });
    await noteAfter(mark, "U0ERIN", /the message for this approval has not been posted yet/);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.votes.length, 0);
    const first = await decide(gw, approval.id, "approve", { token: await gw.createReviewer("ops-1") });
    assert.equal(first.status, 200, "decidable over the API meanwhile");
    assert.equal((await decide(gw, approval.id, "approve", { token: await gw.createReviewer("ops-2") })).status, 200);
    assert.equal((await call).isError, undefined);
    // The retried notification still reaches Slack, showing the final state.
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
  });
});

async function waitFor(isDone: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isDone())) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

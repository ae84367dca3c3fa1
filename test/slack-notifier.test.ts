// The notifier and the approver directory against the Slack Web API stand-in.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../src/log/index.ts";
import { createSlackClient, createSlackDirectory, createSlackNotifier, type WebClient } from "../src/slack/index.ts";
import { approvalFixture, startSlackApiStandIn, type SlackApiStandIn } from "./helpers/slack-api.ts";

interface PostedBlock {
  type: string;
  elements?: Array<{ action_id?: string }>;
}

function actionIds(blocks: unknown): string[] {
  return (blocks as PostedBlock[]).flatMap((b) => (b.type === "actions" ? (b.elements ?? []).map((e) => e.action_id ?? "") : []));
}

describe("Slack notifier", () => {
  let slackApi: SlackApiStandIn;
  let client: WebClient;

  before(async () => {
    slackApi = await startSlackApiStandIn();
    client = createSlackClient({ botToken: "xoxb-notifier", apiUrl: slackApi.url, logger: silentLogger() });
  });
  after(() => slackApi.close());

  it("posts the pending message to the policy's channel and returns where it went", async () => {
    const approval = approvalFixture({ id: "11111111-1111-4111-8111-111111111111", expiresAt: new Date(Date.now() + 600_000) });
    const posted = await createSlackNotifier({ client, defaultChannel: "C0DEFAULT" }).post(approval);
    const call = await slackApi.waitFor("chat.postMessage", (c) => String(c.body.text).includes("Approval needed"));
    assert.equal(call.body.channel, "C0APPROVALS");
    assert.equal(call.token, "xoxb-notifier");
    assert.deepEqual(actionIds(call.body.blocks), ["gatehouse_approve", "gatehouse_deny", "gatehouse_deny_reason"]);
    assert.equal(posted.channel, "C0APPROVALS");
    assert.match(posted.ts, /^\d+\.\d{6}$/);
  });

  it("falls back to the default channel when the policy names none", async () => {
    const approval = approvalFixture({ id: "22222222-2222-4222-8222-222222222222", spec: { ...approvalFixture().spec, channel: null } });
    const posted = await createSlackNotifier({ client, defaultChannel: "C0DEFAULT" }).post(approval);
    assert.equal(posted.channel, "C0DEFAULT");
  });

  it("refuses clearly, without calling Slack, when there is no channel at all", async () => {
    const before = slackApi.callsTo("chat.postMessage").length;
    const approval = approvalFixture({ spec: { ...approvalFixture().spec, channel: null } });
    await assert.rejects(createSlackNotifier({ client }).post(approval), /No Slack channel for approval .*set "approval.channel" in the policy/);
    assert.equal(slackApi.callsTo("chat.postMessage").length, before);
  });

  it("posts the resolved message when the approval was decided before it could be posted", async () => {
    const approval = approvalFixture({ id: "33333333-3333-4333-8333-333333333333", status: "denied", decidedBy: "<@U0BOB>", decidedAt: new Date() });
    await createSlackNotifier({ client }).post(approval);
    const call = await slackApi.waitFor("chat.postMessage", (c) => String(c.body.text).startsWith("⛔ Denied"));
    assert.deepEqual(actionIds(call.body.blocks), []);
  });

  it("updates the posted message with the builder matching the status", async () => {
    const approval = approvalFixture({ status: "succeeded", decidedBy: "<@U0ALICE>", decidedAt: new Date(), durationMs: 321, slackChannel: "C0APPROVALS", slackTs: "1700000000.000042" });
    await createSlackNotifier({ client }).update({ ...approval, slackChannel: "C0APPROVALS", slackTs: "1700000000.000042" });
    const call = await slackApi.waitFor("chat.update", (c) => c.body.ts === "1700000000.000042");
    assert.equal(call.body.channel, "C0APPROVALS");
    assert.deepEqual(actionIds(call.body.blocks), []);
    assert.match(JSON.stringify(call.body.blocks), /Succeeded\* in 321 ms/);
  });

  it("throws on a Slack error (the queue retries) and succeeds on the next attempt", async () => {
    const notifier = createSlackNotifier({ client });
    const approval = approvalFixture({ id: "44444444-4444-4444-8444-444444444444" });
    slackApi.failNext("chat.postMessage", 1, { kind: "error", error: "ratelimited" });
    await assert.rejects(notifier.post(approval), /chat\.postMessage failed for approval 44444444-4444-4444-8444-444444444444: ratelimited/);
    assert.ok((await notifier.post(approval)).ts);
  });

  it("throws at once on an HTTP 500, without retrying inside the client", async () => {
    const notifier = createSlackNotifier({ client });
    const approval = approvalFixture({ slackChannel: "C0APPROVALS", slackTs: "1700000000.000077" });
    const before = slackApi.callsTo("chat.update").length;
    slackApi.failNext("chat.update", 1, { kind: "http", status: 500 });
    await assert.rejects(notifier.update({ ...approval, slackChannel: "C0APPROVALS", slackTs: "1700000000.000077" }), /chat\.update failed/);
    assert.equal(slackApi.callsTo("chat.update").length, before + 1);
  });

  it("treats an empty channel name as no channel", async () => {
    await assert.rejects(createSlackNotifier({ client }).post(approvalFixture({ spec: { ...approvalFixture().spec, channel: "" } })), /No Slack channel/);
  });
});

describe("Slack directory", () => {
  let slackApi: SlackApiStandIn;
  let client: WebClient;

  before(async () => {
    slackApi = await startSlackApiStandIn();
    slackApi.setGroupMembers("S0OPS", ["U0ALICE", "W0GRIDUSER"]);
    slackApi.setGroupMembers("S0EMPTY", []);
    client = createSlackClient({ botToken: "xoxb-directory", apiUrl: slackApi.url, logger: silentLogger() });
  });
  after(() => slackApi.close());

  const table: Array<{ approvers: string[]; user: string; expected: boolean; why: string }> = [
    { approvers: [], user: "U0ANYONE", expected: true, why: "no approvers: anyone" },
    { approvers: ["U0BOB"], user: "U0BOB", expected: true, why: "listed user" },
    { approvers: ["W0GRID"], user: "W0GRID", expected: true, why: "listed Enterprise Grid user" },
    { approvers: ["U0BOB"], user: "U0ALICE", expected: false, why: "not listed" },
    { approvers: ["U0BOB", "S0OPS"], user: "U0ALICE", expected: true, why: "member of a listed group" },
    { approvers: ["S0OPS"], user: "W0GRIDUSER", expected: true, why: "grid member of a listed group" },
    { approvers: ["S0EMPTY", "U0BOB"], user: "U0ALICE", expected: false, why: "group without them" },
  ];
  for (const { approvers, user, expected, why } of table) {
    it(`${why}: ${user} in [${approvers.join(", ")}] → ${expected}`, async () => {
      const directory = createSlackDirectory(client);
      assert.equal(await directory.isApprover({ approvers }, user), expected);
    });
  }

  it("asks Slack once per group while the cache is fresh, again once it is stale", async () => {
    let nowMs = 1_000_000;
    const directory = createSlackDirectory(client, { ttlMs: 60_000, now: () => nowMs });
    slackApi.setGroupMembers("S0CACHE", ["U0ALICE"]);
    const count = () => slackApi.callsTo("usergroups.users.list").filter((c) => c.body.usergroup === "S0CACHE").length;
    assert.deepEqual(await directory.membersOf("S0CACHE"), ["U0ALICE"]);
    slackApi.setGroupMembers("S0CACHE", ["U0ALICE", "U0BOB"]);
    assert.equal(await directory.isApprover({ approvers: ["S0CACHE"] }, "U0BOB"), false, "cached membership");
    assert.equal(count(), 1);
    nowMs += 60_001;
    assert.equal(await directory.isApprover({ approvers: ["S0CACHE"] }, "U0BOB"), true, "refreshed membership");
    assert.equal(count(), 2);
  });

  it("throws when Slack cannot say who is in a group, and does not cache the failure", async () => {
    const directory = createSlackDirectory(client);
    await assert.rejects(directory.isApprover({ approvers: ["S0MISSING"] }, "U0ALICE"), /no_such_subteam/);
    slackApi.setGroupMembers("S0MISSING", ["U0ALICE"]);
    assert.equal(await directory.isApprover({ approvers: ["S0MISSING"] }, "U0ALICE"), true);
  });
});

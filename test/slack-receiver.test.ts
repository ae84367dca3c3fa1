// Boundary test of the Slack module: signed requests into /slack/events on a real express app, a real
// database (replay table, audit), the Slack Web API stand-in, and a recording ApprovalService (the real
// service is exercised end to end elsewhere).
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import type { ApprovalService } from "../src/approvals/service-types.ts";
import type { Approval, SlackMessageRef, Voter, VoteOutcome } from "../src/approvals/types.ts";
import { createAuditWriter, listAuditEvents, type AuditWriter } from "../src/audit/index.ts";
import { silentLogger } from "../src/log/index.ts";
import { createSlackApp, type SlackApp } from "../src/slack/index.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import {
  approvalFixture,
  buttonClickPayload,
  denyReasonSubmissionPayload,
  formEncodePayload,
  openedModalMetadata,
  postInteraction,
  postSignedSlackRequest,
  signSlackRequest,
  startSlackApiStandIn,
  TEAM_ID,
  type SlackApiStandIn,
} from "./helpers/slack-api.ts";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

interface RecordedVote {
  id: string;
  voter: Voter;
  vote: "approve" | "deny";
  reason: string | undefined;
  message: SlackMessageRef | null | undefined;
}

/** An ApprovalService that records votes and answers with whatever outcome the test sets. */
function recordingService(approval: Approval) {
  const votes: RecordedVote[] = [];
  const events = new EventEmitter();
  let answer: (vote: RecordedVote) => VoteOutcome | Promise<VoteOutcome> = () => ({ kind: "recorded", approval, approvals: 1, needed: 2 });
  const service: ApprovalService = {
    get: async (id) => (id === approval.id ? approval : null),
    list: async () => [approval],
    async vote(id, { voter, vote, reason, message }) {
      const recorded = { id, voter, vote, reason, message };
      votes.push(recorded);
      events.emit("vote", recorded);
      return answer(recorded);
    },
    expire: async () => false,
    cancel: async () => false,
    setSlackMessage: async () => {},
    markSlackShown: async () => {},
  };
  return {
    service,
    votes,
    answerWith(next: typeof answer) {
      answer = next;
    },
    /** Resolves with the n-th vote (1-based) once it has arrived. */
    async nthVote(n: number): Promise<RecordedVote> {
      while (votes.length < n) await once(events, "vote");
      return votes[n - 1]!;
    },
  };
}

async function countSignatures(test: TestDatabase): Promise<number> {
  const { rows } = await test.database.pool.query<{ n: string }>("SELECT count(*) AS n FROM slack_requests");
  return Number(rows[0]?.n);
}

describe("Slack receiver at /slack/events", () => {
  let db: TestDatabase;
  let slackApi: SlackApiStandIn;
  let audit: AuditWriter;
  let slack: SlackApp;
  let server: Server;
  let base: string;
  const MESSAGE = { channel: "C0APPROVALS", ts: "1700000000.000001" };
  const approval = approvalFixture({ slackChannel: MESSAGE.channel, slackTs: MESSAGE.ts });
  const recorder = recordingService(approval);
  const stale: string[] = [];
  const staleEvents = new EventEmitter();

  before(async () => {
    db = await openTestDatabase({ schemaPrefix: "slack_receiver" });
    slackApi = await startSlackApiStandIn();
    audit = createAuditWriter({ database: db.database });
    slack = createSlackApp({
      botToken: "xoxb-test-token",
      signingSecret: SECRET,
      apiUrl: slackApi.url,
      service: recorder.service,
      database: db.database,
      audit,
      logger: silentLogger(),
      onStale: (id) => {
        stale.push(id);
        staleEvents.emit("stale", id);
      },
    });
    await slack.start();
    const app = express();
    app.use("/slack/events", slack.router);
    server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await slack?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await audit?.close();
    await slackApi?.close();
    await db?.close();
  });

  it("checks the bot token with auth.test at start", async () => {
    const call = await slackApi.waitFor("auth.test");
    assert.equal(call.token, "xoxb-test-token");
    assert.equal(slack.mode, "http");
  });

  it("records an Approve click with the clicker as voter and the message the button was on", async () => {
    const before = recorder.votes.length;
    const response = await postInteraction(base, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0ALICE", message: MESSAGE }), { secret: SECRET });
    assert.equal(response.status, 200);
    const vote = await recorder.nthVote(before + 1);
    assert.deepEqual(vote, {
      id: approval.id,
      voter: { id: "slack:U0ALICE", slackUserId: "U0ALICE", isOperator: false, via: "slack" },
      vote: "approve",
      reason: undefined,
      message: MESSAGE,
    });
  });

  it("records a Deny click as a deny vote by the person, whatever their team", async () => {
    const before = recorder.votes.length;
    const response = await postInteraction(base, buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0BOB", teamId: "T0OTHER", message: MESSAGE }), { secret: SECRET });
    assert.equal(response.status, 200);
    const vote = await recorder.nthVote(before + 1);
    assert.equal(vote.vote, "deny");
    assert.equal(vote.voter.id, "slack:U0BOB");
  });

  it("passes no message when the payload's container and message disagree (the service refuses such a vote)", async () => {
    const before = recorder.votes.length;
    const payload = buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0HEIDI", message: MESSAGE });
    (payload.message as { ts: string }).ts = "1700000000.999999";
    assert.equal((await postInteraction(base, payload, { secret: SECRET })).status, 200);
    assert.equal((await recorder.nthVote(before + 1)).message, null);
  });

  it("acknowledges before the vote is done (Slack gives up after 3 s)", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    recorder.answerWith(async () => {
      await released;
      return { kind: "decided", approval };
    });
    try {
      const before = recorder.votes.length;
      const startedAt = performance.now();
      const response = await postInteraction(base, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0CAROL", message: MESSAGE }), { secret: SECRET });
      assert.equal(response.status, 200);
      // Well under the 2.5 s safety net that acknowledges for a listener that forgot to.
      assert.ok(performance.now() - startedAt < 1_500, "acknowledged without waiting for the vote");
      await recorder.nthVote(before + 1); // the vote is in progress and still blocked
    } finally {
      release();
      recorder.answerWith(() => ({ kind: "recorded", approval, approvals: 1, needed: 2 }));
    }
  });

  describe("refuses requests that Slack did not sign (401, nothing changes)", () => {
    const cases: Array<{ name: string; post: (raw: string) => ReturnType<typeof postSignedSlackRequest>; error: string }> = [
      { name: "a wrong signature", post: (raw) => postSignedSlackRequest(base, raw, { secret: SECRET, headers: { "x-slack-signature": `v0=${"0".repeat(64)}` } }), error: "invalid_signature" },
      { name: "another app's signing secret", post: (raw) => postSignedSlackRequest(base, raw, { secret: "not-our-secret" }), error: "invalid_signature" },
      { name: "a timestamp 6 minutes old", post: (raw) => postSignedSlackRequest(base, raw, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 360 }), error: "stale_timestamp" },
      { name: "a timestamp 6 minutes ahead", post: (raw) => postSignedSlackRequest(base, raw, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) + 360 }), error: "stale_timestamp" },
      {
        name: "a tampered body",
        post: (raw) => postSignedSlackRequest(base, raw, { secret: SECRET, signedBody: formEncodePayload(buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0MALLORY", message: MESSAGE })) }),
        error: "invalid_signature",
      },
      {
        name: "no signature headers",
        post: async (raw) => {
          const response = await fetch(`${base}/slack/events`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: raw });
          return { status: response.status, body: await response.json(), text: "" };
        },
        error: "missing_signature",
      },
    ];
    for (const { name, post, error } of cases) {
      it(name, async () => {
        const votesBefore = recorder.votes.length;
        const signaturesBefore = await countSignatures(db);
        const raw = formEncodePayload(buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0MALLORY", message: MESSAGE }));
        const response = await post(raw);
        assert.equal(response.status, 401);
        assert.deepEqual(response.body, { error });
        assert.equal(recorder.votes.length, votesBefore);
        assert.equal(await countSignatures(db), signaturesBefore);
      });
    }
  });

  it("refuses a replayed request: the identical second delivery gets 401 and no second vote", async () => {
    const raw = formEncodePayload(buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0DAVE", message: MESSAGE }));
    const headers = signSlackRequest(SECRET, raw);
    const before = recorder.votes.length;
    const first = await postSignedSlackRequest(base, raw, { secret: SECRET, headers });
    assert.equal(first.status, 200);
    await recorder.nthVote(before + 1);
    const replay = await postSignedSlackRequest(base, raw, { secret: SECRET, headers });
    assert.equal(replay.status, 401);
    assert.deepEqual(replay.body, { error: "replayed_request" });
    assert.equal(recorder.votes.filter((v) => v.voter.slackUserId === "U0DAVE").length, 1);
  });

  it("answers url_verification challenges, signed only", async () => {
    const raw = JSON.stringify({ token: "legacy", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
    const signed = await postSignedSlackRequest(base, raw, { secret: SECRET, contentType: "application/json" });
    assert.equal(signed.status, 200);
    assert.deepEqual(signed.body, { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    const unsigned = await postSignedSlackRequest(base, raw, { secret: "wrong", contentType: "application/json" });
    assert.equal(unsigned.status, 401);
  });

  it("acknowledges events it does not handle", async () => {
    const raw = JSON.stringify({ type: "event_callback", team_id: TEAM_ID, event: { type: "app_mention", user: "U0ALICE", text: "hi", channel: "C0APPROVALS", ts: "1.2" }, event_id: "Ev1", event_time: 1 });
    const response = await postSignedSlackRequest(base, raw, { secret: SECRET, contentType: "application/json" });
    assert.equal(response.status, 200);
  });

  it("refuses a body over 1 MB before reading further (413)", async () => {
    const before = recorder.votes.length;
    const huge = `payload=${"x".repeat(1_100_000)}`;
    const response = await postSignedSlackRequest(base, huge, { secret: SECRET });
    assert.equal(response.status, 413);
    assert.deepEqual(response.body, { error: "body_too_large" });
    assert.equal(recorder.votes.length, before);
  });

  it("answers 400 to a signed but malformed payload", async () => {
    const response = await postSignedSlackRequest(base, "payload=%7Bnot-json", { secret: SECRET });
    assert.equal(response.status, 400);
  });

  it("Deny with reason… opens the modal, and its submission records a deny with the typed reason", async () => {
    const click = buttonClickPayload("gatehouse_deny_reason", approval.id, { userId: "U0ERIN", message: MESSAGE });
    const response = await postInteraction(base, click, { secret: SECRET });
    assert.equal(response.status, 200);
    const opened = await slackApi.waitFor("views.open", (call) => call.body.trigger_id === click.trigger_id);
    const view = opened.body.view as { callback_id: string; private_metadata: string; type: string };
    assert.equal(view.type, "modal");
    assert.equal(view.callback_id, "gatehouse_deny_reason_modal");
    assert.deepEqual(JSON.parse(view.private_metadata), { approvalId: approval.id, ...MESSAGE });

    const before = recorder.votes.length;
    const submitted = await postInteraction(base, denyReasonSubmissionPayload(openedModalMetadata(opened), "  Campaign is paused until Monday  ", { userId: "U0ERIN" }), { secret: SECRET });
    assert.equal(submitted.status, 200);
    assert.equal(submitted.text, "", "an empty 200 closes the modal");
    const vote = await recorder.nthVote(before + 1);
    assert.deepEqual(vote, {
      id: approval.id,
      voter: { id: "slack:U0ERIN", slackUserId: "U0ERIN", isOperator: false, via: "slack" },
      vote: "deny",
      reason: "Campaign is paused until Monday",
      message: MESSAGE,
    });
  });

  it("keeps the modal open with an error when the reason is blank", async () => {
    const before = recorder.votes.length;
    const metadata = JSON.stringify({ approvalId: approval.id, ...MESSAGE });
    const submitted = await postInteraction(base, denyReasonSubmissionPayload(metadata, "   ", { userId: "U0ERIN" }), { secret: SECRET });
    assert.equal(submitted.status, 200);
    assert.deepEqual(Object.keys((submitted.body as { errors: object }).errors), ["reason"]);
    assert.equal((submitted.body as { response_action: string }).response_action, "errors");
    assert.equal(recorder.votes.length, before);
  });

  it("tells an unauthorised clicker privately and audits the refusal", async () => {
    const reason = "you are not one of this tool's approvers";
    recorder.answerWith(() => ({ kind: "not_allowed", approval, reason }));
    try {
      const response = await postInteraction(base, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0MALLORY", message: MESSAGE }), { secret: SECRET });
      assert.equal(response.status, 200);
      const ephemeral = await slackApi.waitFor("chat.postEphemeral", (call) => call.body.user === "U0MALLORY");
      assert.equal(ephemeral.body.channel, "C0APPROVALS");
      assert.equal(ephemeral.body.text, `You are not allowed to approve this call: ${reason}`);
      const { rows } = await listAuditEvents(db.database, { type: "approval.vote_refused" });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.actor, "slack:U0MALLORY");
      assert.equal(rows[0]?.callId, approval.callId);
      assert.deepEqual(rows[0]?.data, { approvalId: approval.id, reason, vote: "approve", via: "slack" });
    } finally {
      recorder.answerWith(() => ({ kind: "recorded", approval, approvals: 1, needed: 2 }));
    }
  });

  it("asks for the message to be refreshed when the click lands on a decided approval", async () => {
    const denied = { ...approval, status: "denied" as const, decidedBy: "slack:U0BOB", decidedAt: new Date() };
    recorder.answerWith(() => ({ kind: "already_decided", approval: denied }));
    try {
      const staled = once(staleEvents, "stale");
      const response = await postInteraction(base, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0FRANK", message: MESSAGE }), { secret: SECRET });
      assert.equal(response.status, 200);
      assert.deepEqual(await staled, [approval.id]);
      const told = await slackApi.waitFor("chat.postEphemeral", (call) => call.body.user === "U0FRANK");
      assert.match(String(told.body.text), /already decided \(denied\)/);
    } finally {
      recorder.answerWith(() => ({ kind: "recorded", approval, approvals: 1, needed: 2 }));
    }
  });

  it("tells the clicker when the vote could not be recorded (database down)", async () => {
    recorder.answerWith(() => {
      throw new Error("connection refused");
    });
    try {
      await postInteraction(base, buttonClickPayload("gatehouse_deny", approval.id, { userId: "U0GRACE", message: MESSAGE }), { secret: SECRET });
      const told = await slackApi.waitFor("chat.postEphemeral", (call) => call.body.user === "U0GRACE");
      assert.match(String(told.body.text), /could not record your vote/);
    } finally {
      recorder.answerWith(() => ({ kind: "recorded", approval, approvals: 1, needed: 2 }));
    }
  });

  it("ignores a button whose value is not an approval id", async () => {
    const before = recorder.votes.length;
    const response = await postInteraction(base, buttonClickPayload("gatehouse_approve", "'; DROP TABLE approvals; --", { userId: "U0ALICE", message: MESSAGE }), { secret: SECRET });
    assert.equal(response.status, 200);
    assert.equal(recorder.votes.length, before);
  });
});

describe("Slack replay table upkeep", () => {
  it("purges signatures older than ten minutes and keeps recent ones", async () => {
    const db = await openTestDatabase({ schemaPrefix: "slack_purge" });
    const slackApi = await startSlackApiStandIn();
    const audit = createAuditWriter({ database: db.database });
    const approval = approvalFixture();
    const MESSAGE = { channel: "C0APPROVALS", ts: "1700000000.000001" };
    const slack = createSlackApp({
      botToken: "xoxb-test-token",
      signingSecret: SECRET,
      apiUrl: slackApi.url,
      service: recordingService(approval).service,
      database: db.database,
      audit,
      logger: silentLogger(),
    });
    const app = express().use("/slack/events", slack.router);
    const server = app.listen(0, "127.0.0.1");
    try {
      await once(server, "listening");
      await db.database.pool.query(
        "INSERT INTO slack_requests (signature, created_at) VALUES ('v0=old', now() - interval '11 minutes'), ('v0=recent', now() - interval '2 minutes')",
      );
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const response = await postInteraction(base, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0ALICE", message: MESSAGE }), { secret: SECRET });
      assert.equal(response.status, 200);
      const { rows } = await db.database.pool.query<{ signature: string }>("SELECT signature FROM slack_requests ORDER BY signature");
      const signatures = rows.map((r) => r.signature);
      assert.ok(!signatures.includes("v0=old"), "the 11-minute-old signature is purged");
      assert.ok(signatures.includes("v0=recent"), "a 2-minute-old signature is kept (still inside the replay window)");
      assert.equal(signatures.length, 2, "plus the request just accepted");
    } finally {
      await slack.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await audit.close();
      await slackApi.close();
      await db.close();
    }
  });
});

describe("createSlackApp configuration", () => {
  it("refuses HTTP mode without a signing secret", () => {
    assert.throws(
      () => createSlackApp({ botToken: "xoxb-x", service: recordingService(approvalFixture()).service, database: {} as never, audit: {} as never, logger: silentLogger() }),
      /SLACK_SIGNING_SECRET is required/,
    );
  });

  it("uses Socket Mode when an app token is set, and fails start when Slack refuses the token", async () => {
    const slackApi = await startSlackApiStandIn();
    const slack = createSlackApp({
      botToken: "xoxb-x",
      appToken: "xapp-1-refused",
      apiUrl: slackApi.url,
      service: recordingService(approvalFixture()).service,
      database: {} as never,
      audit: {} as never,
      logger: silentLogger(),
    });
    try {
      assert.equal(slack.mode, "socket");
      await assert.rejects(slack.start(), /SLACK_APP_TOKEN was refused by Slack \(invalid_auth\)/);
      const opened = await slackApi.waitFor("apps.connections.open");
      assert.equal(opened.token, "xapp-1-refused");
    } finally {
      await slack.close();
      await slackApi.close();
    }
  });
});

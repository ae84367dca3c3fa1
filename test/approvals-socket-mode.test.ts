// Held calls decided in Slack over Socket Mode, end to end: the real gateway with SLACK_APP_TOKEN set
// (no signing secret, no public URL), the local Slack stand-in handing out a WebSocket URL from
// apps.connections.open and delivering button clicks as `interactive` envelopes the app must ack.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nextApproval, FAST_APPROVALS, postedMessage, reconnectCount } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { buttonClickPayload, formEncodePayload, startSlackApiStandIn, type SlackApiCall, type SlackApiStandIn } from "./helpers/slack-api.ts";

const APP_TOKEN = "xapp-test";
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { approvers: ["U0ALICE"], timeout: "10m" } },
  },
};

const blocksText = (call: SlackApiCall) => JSON.stringify(call.body.blocks ?? "");

describe(`held calls decided in Slack over Socket Mode (${storageLabel()})`, () => {
  let slack: SlackApiStandIn;
  let gw: TestGateway;
  let token: string;
  const click = async (action: string, id: string, userId: string) => slack.deliverInteractive(buttonClickPayload(action, id, { userId, message: await postedMessage(gw, slack, id) }));

  /** Holds a reconnect call for `accountId` and resolves once its approval message is in Slack. */
  async function holdReconnect(accountId: number) {
    const client = await gw.connect(token);
    const before = await reconnectCount(client, accountId);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [accountId] } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    return { client, before, call, approval };
  }

  before(async () => {
    slack = await startSlackApiStandIn({ appTokens: [APP_TOKEN] });
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: { ...FAST_APPROVALS, channel: "C0APPROVALS" } },
      env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: slack.url },
    });
    token = await gw.createToken("socket-agent", "U0OWNER");
  });
  after(async () => {
    try {
      await gw.close();
      // The gateway hangs up by itself (close handshake), before the stand-in goes away.
      await slack.waitForSocketsClosed();
    } finally {
      await slack.close();
    }
  });

  it("connects with the app token before start-up finishes, and does not mount /slack/events", async () => {
    assert.equal(gw.instance.slackMode, "socket");
    const opened = slack.callsTo("apps.connections.open");
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.token, APP_TOKEN);
    assert.equal(slack.socketConnections(), 1);

    const body = formEncodePayload(buttonClickPayload("gatehouse_approve", "6f1c1c1e-3b7a-4d8e-9a55-0c2b8f1e2d3a", { userId: "U0ALICE", message: { channel: "C0APPROVALS", ts: "1700000000.000001" } }));
    const response = await fetch(`${gw.url}/slack/events`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    assert.equal(response.status, 404);
  });

  it("releases the held call on an Approve click delivered over the socket, and runs it once", async () => {
    const { client, before, call, approval } = await holdReconnect(502);
    await click("gatehouse_approve", approval.id, "U0ALICE");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    const finished = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(finished?.status, "succeeded");
    assert.equal(finished?.decidedBy, "slack:U0ALICE");
    assert.equal(await reconnectCount(client, 502), before + 1, "executed exactly once");
    const updated = await slack.waitFor("chat.update", (c) => blocksText(c).includes(approval.id) && /Approved and run/.test(blocksText(c)));
    assert.match(blocksText(updated), /U0ALICE/);
  });

  it("answers a click from someone who is not an approver with an ephemeral note, and keeps the call held", async () => {
    const { client, before, call, approval } = await holdReconnect(503);
    await click("gatehouse_approve", approval.id, "U0MALLORY");
    const note = await slack.waitFor("chat.postEphemeral", (c) => c.body.user === "U0MALLORY");
    assert.equal(note.body.channel, "C0APPROVALS");
    assert.match(String(note.body.text), /not allowed/i);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");
    assert.equal(await reconnectCount(client, 503), before, "nothing ran");

    await click("gatehouse_deny", approval.id, "U0ALICE");
    const result = await call;
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "Denied by Slack user U0ALICE. The call was not executed.");
    assert.equal(await reconnectCount(client, 503), before, "a denied call never runs");
  });

  it("reconnects when Slack recycles the connection, and keeps taking clicks", async () => {
    slack.requestReconnect("refresh_requested");
    await slack.waitForSocketHello(2, 15_000);
    assert.equal(slack.callsTo("apps.connections.open").length, 2, "a fresh URL for the new connection");
    assert.equal(slack.socketConnections(), 1, "the old connection is gone");

    const { client, before, call, approval } = await holdReconnect(504);
    await click("gatehouse_approve", approval.id, "U0ALICE");
    assert.equal((await call).isError, undefined);
    assert.equal(await reconnectCount(client, 504), before + 1);
  });
});

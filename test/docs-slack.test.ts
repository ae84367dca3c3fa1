// Sentences of docs/slack-setup.md no other test pinned down, checked through the real gateway and the
// Slack API stand-in: Slack unreachable at start-up is only logged, and the scopes the code really uses.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { decide, FAST_APPROVALS, nextApproval, postedMessage } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { buttonClickPayload, postInteraction, startSlackApiStandIn, type SlackApiStandIn } from "./helpers/slack-api.ts";

const SECRET = "docs-signing-secret";
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: { [RECONNECT]: { action: "require_approval", approval: { approvers: ["U0ALICE", "S0OPS"], timeout: "10m" } } },
};

describe(`docs/slack-setup.md: start-up and scopes (${storageLabel()})`, () => {
  let slack: SlackApiStandIn;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    slack = await startSlackApiStandIn();
    slack.setGroupMembers("S0OPS", ["U0BOB"]);
    // Slack is unreachable when the gateway starts: auth.test fails with an HTTP 503.
    slack.failNext("auth.test", 1, { kind: "http", status: 503 });
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: { ...FAST_APPROVALS, channel: "C0APPROVALS" } },
      env: { SLACK_BOT_TOKEN: "xoxb-docs-token", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url },
    });
    token = await gw.createToken("docs-slack-agent");
  });
  after(async () => {
    await gw.close();
    await slack.close();
  });

  it("starts although Slack did not answer auth.test; a held call can still be decided without Slack", async () => {
    assert.equal(slack.callsTo("auth.test").length, 1);
    assert.equal(gw.instance.slackMode, "http");
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } }) as Promise<CallToolResult>;
    const approval = await created;
    assert.equal((await decide(gw, approval.id, "approve")).status, 200);
    const result = await call;
    assert.notEqual(result.isError, true, textOf(result));
  });

  it("decides a click by an approver in a user group without calling any users.* method (no users:read scope is needed)", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [505] } }) as Promise<CallToolResult>;
    const approval = await created;
    const message = await postedMessage(gw, slack, approval.id);
    const clicked = await postInteraction(gw.url, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0BOB", message }), { secret: SECRET });
    assert.equal(clicked.status, 200);
    const result = await call;
    assert.notEqual(result.isError, true, textOf(result));
    assert.ok(slack.callsTo("usergroups.users.list").length > 0, "group membership is read with usergroups:read");
    assert.deepEqual(slack.calls.map((c) => c.method).filter((m) => m.startsWith("users.")), []);
  });
});

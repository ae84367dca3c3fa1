// What reviewers see in Slack about the agent behind a held call (DESIGN §5): one message per call
// identity however often the agent comes back, whether an agent is waiting, how often it came back,
// an approval that expired because nobody came back for it, and messages re-synced after an update
// was lost (queue outage). Against the Slack Web API stand-in, with signed clicks.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { nextApproval, postedMessage } from "./helpers/approvals.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { buttonClickPayload, postInteraction, startSlackApiStandIn, type SlackApiCall, type SlackApiStandIn } from "./helpers/slack-api.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const SECRET = "presence-signing-secret";
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } },
    smartlead_update_email_account: { action: "require_approval", approval: { timeout: "3s" } },
  },
};
const APPROVALS = {
  channel: "C0APPROVALS",
  pollMs: 100,
  reaperSeconds: 0.5,
  instanceStaleSeconds: 2,
  heartbeatSeconds: 0.2,
  maxWaitSeconds: 1,
  claimGraceSeconds: 0.5,
  clients: { "patient-*": { maxWaitSeconds: 120 } },
};

const blocksText = (call: SlackApiCall) => JSON.stringify(call.body.blocks ?? "");
const about = (id: string, pattern: RegExp) => (call: SlackApiCall) => blocksText(call).includes(id) && pattern.test(blocksText(call));

describe(`the agent behind a held call, as reviewers see it in Slack (${storageLabel()})`, () => {
  let slack: SlackApiStandIn;
  let upstream: CountingUpstream;
  let gw: TestGateway;
  let token: string;
  const connect = async (name: string) => {
    const client = new Client({ name, version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    return client;
  };
  const reconnect = (client: Client, ids: number[]) => client.callTool({ name: RECONNECT, arguments: { email_account_ids: ids } }) as Promise<CallToolResult>;

  before(async () => {
    slack = await startSlackApiStandIn();
    upstream = await startCountingUpstream();
    gw = await startTestGateway({
      upstreams: { smartlead: upstream.config },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: APPROVALS },
      env: { SLACK_BOT_TOKEN: "xoxb-presence", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url },
    });
    token = await gw.createToken("presence-agent");
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await slack.close();
  });

  it("posts one message however often the agent comes back, and shows whether it is waiting and how often it came back", async () => {
    const patient = await connect("patient-agent");
    const created = nextApproval(gw);
    const held = reconnect(patient, [502]).catch(() => null);
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(approval.id));
    // The first message says so already when the agent attached before it was posted; an update otherwise.
    await slack.waitFor(["chat.postMessage", "chat.update"], about(approval.id, /agent waiting/));

    await patient.close(); // the connection drops: the agent is gone, nothing is cancelled
    await held;
    await slack.waitFor("chat.update", about(approval.id, /agent not connected/));

    const back = await connect("returning-agent");
    const answer = await reconnect(back, [502]);
    assert.equal(answer._meta?.["gatehouse/approval_id"], approval.id);
    await slack.waitFor("chat.update", about(approval.id, /agent waiting · came back 1 time\b/));
    await slack.waitFor("chat.update", about(approval.id, /agent not connected .*came back 1 time\b/));
    await reconnect(back, [502]);
    await slack.waitFor("chat.update", about(approval.id, /came back 2 times/));
    assert.equal(slack.callsTo("chat.postMessage").filter((c) => blocksText(c).includes(approval.id)).length, 1, "reviewers were asked once");
    assert.match(blocksText(slack.callsTo("chat.postMessage").find((c) => blocksText(c).includes(approval.id))!), /gatehouse_approve/);
  });

  it("says so when an approved call expired because the agent never came back, and runs nothing", async () => {
    const client = await connect("returning-agent");
    const before = upstream.runs("smartlead_update_email_account");
    const first = (await client.callTool({ name: "smartlead_update_email_account", arguments: { email_account_id: 505, name: "Nobody came" } })) as CallToolResult;
    const id = first._meta?.["gatehouse/approval_id"] as string;
    await slack.waitFor("chat.postMessage", (c) => blocksText(c).includes(id));
    const expired = nextApproval(gw, "expired", id);
    const message = await postedMessage(gw, slack, id);
    assert.equal((await postInteraction(gw.url, buttonClickPayload("gatehouse_approve", id, { userId: "U0ALICE", message }), { secret: SECRET })).status, 200);
    await expired;
    const update = await slack.waitFor("chat.update", about(id, /the agent never came back; nothing ran/));
    assert.doesNotMatch(blocksText(update), /gatehouse_approve/, "no buttons once it ended");
    assert.equal(upstream.runs("smartlead_update_email_account"), before);
  });

  it("re-syncs a message whose update was lost (a change nobody was told about)", async () => {
    const client = await connect("returning-agent");
    const answer = await reconnect(client, [503]);
    const id = answer._meta?.["gatehouse/approval_id"] as string;
    await slack.waitFor("chat.update", about(id, /agent not connected/));
    // Decided behind the notifications' back, as when the queue was down while a gateway decided it.
    await gw.instance.approvals.repo.decide(id, "denied", "admin", "decided while the queue was down", 0);
    const resynced = await slack.waitFor("chat.update", about(id, /Denied/), 30_000);
    assert.doesNotMatch(blocksText(resynced), /gatehouse_approve/);
    assert.match(textOf(await reconnect(client, [503])), /decided while the queue was down/);
  });
});

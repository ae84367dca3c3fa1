// SLACK_CHANNEL: the default approvals channel from the environment alone (gatehouse.json's
// approvals.channel wins when both are set), shown in the start-up banner and used for held calls.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startupBanner } from "../src/cli/serve/run.ts";
import { resolveApprovalsChannel } from "../src/config/index.ts";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { startSlackApiStandIn, type SlackApiStandIn } from "./helpers/slack-api.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { [RECONNECT]: { action: "require_approval" } } };

describe("resolveApprovalsChannel", () => {
  const cases: [string, string | undefined, string | undefined, ReturnType<typeof resolveApprovalsChannel>][] = [
    ["from the environment alone", undefined, "C0ENV", { id: "C0ENV", source: "SLACK_CHANNEL" }],
    ["gatehouse.json wins over the environment", "C0FILE", "C0ENV", { id: "C0FILE", source: "gatehouse.json" }],
    ["from gatehouse.json alone", "C0FILE", undefined, { id: "C0FILE", source: "gatehouse.json" }],
    ["none", undefined, undefined, null],
  ];
  for (const [name, file, env, expected] of cases) {
    it(name, () => assert.deepEqual(resolveApprovalsChannel({ approvals: { ...FAST_APPROVALS, channel: file } }, { SLACK_CHANNEL: env }), expected));
  }
});

describe(`SLACK_CHANNEL as the default approvals channel (${storageLabel()})`, () => {
  let slack: SlackApiStandIn;
  const gateways: TestGateway[] = [];
  const start = async (extraApprovals: Record<string, unknown>, env: Record<string, string>) => {
    const gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: { ...FAST_APPROVALS, ...extraApprovals } },
      env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: "test-signing-secret", SLACK_API_URL: slack.url, ...env },
    });
    gateways.push(gw);
    return gw;
  };
  const holdOnce = async (gw: TestGateway, accountId: number) => {
    const client = await gw.connect(await gw.createToken(`agent-${accountId}`));
    const created = nextApproval(gw);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [accountId] } });
    const approval = await created;
    const posted = await slack.waitFor("chat.postMessage", (c) => JSON.stringify(c.body.blocks ?? "").includes(approval.id));
    assert.equal((await decide(gw, approval.id, "deny", { reason: "test over" })).status, 200);
    await call;
    return posted.body.channel;
  };

  before(async () => {
    slack = await startSlackApiStandIn();
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await slack.close();
  });

  it("posts held calls to SLACK_CHANNEL when gatehouse.json names no channel, and says so in the banner", async () => {
    const gw = await start({}, { SLACK_CHANNEL: "C0FROMENV" });
    assert.match(startupBanner(gw.instance), /\n {2}Slack {10}on \(HTTP: http:\/\/127\.0\.0\.1:\d+\/slack\/events\)\n {2}Approvals to {3}C0FROMENV {2}\(from SLACK_CHANNEL; a policy's approval\.channel overrides it\)\n/);
    assert.equal(await holdOnce(gw, 502), "C0FROMENV");
  });

  it("prefers approvals.channel from gatehouse.json over SLACK_CHANNEL", async () => {
    const gw = await start({ channel: "C0FROMFILE" }, { SLACK_CHANNEL: "C0FROMENV" });
    assert.match(startupBanner(gw.instance), /Approvals to {3}C0FROMFILE {2}\(from gatehouse\.json;/);
    assert.equal(await holdOnce(gw, 503), "C0FROMFILE");
  });

  it("says in the banner when Slack is on but no default channel is set", async () => {
    const gw = await start({}, {});
    assert.match(startupBanner(gw.instance), /Approvals to {3}no default channel: set SLACK_CHANNEL or approvals\.channel, or approval\.channel in each policy/);
  });
});

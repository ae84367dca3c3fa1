// Redis dying under a running gateway (scale-out mode): rate limits fail closed with a clear
// error, held calls stay held in Postgres and can still be decided and run, nothing crashes, and
// Slack messages of calls decided meanwhile are rewritten once Redis is back.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, textOf, type TestGateway } from "./helpers/gateway.ts";
import { freePort } from "./helpers/ports.ts";
import { startSlackApiStandIn, type SlackApiStandIn } from "./helpers/slack-api.ts";

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
const skip = !process.env.DATABASE_URL ? "Redis is used only with DATABASE_URL (scale-out mode)" : !hasRedisServer ? "redis-server is not installed" : false;

describe("Redis outage in scale-out mode", { skip }, () => {
  let redis: ChildProcess;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    const port = await freePort();
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise<void>((resolve) => redis.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("Ready to accept connections") && resolve()));
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: {
        smartlead: {
          version: "1",
          default: "deny",
          tools: {
            smartlead_get_all_email_accounts: { limits: [{ counter: "reads", window: "minute", max: 100 }] },
            smartlead_get_campaign: {},
            smartlead_reconnect_failed_email_accounts: { action: "require_approval" },
          },
        },
      },
      extraConfig: { approvals: FAST_APPROVALS },
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
    });
    token = await gw.createToken("outage-agent");
  });
  after(async () => {
    await gw?.close();
    if (redis && redis.exitCode === null) redis.kill("SIGKILL");
  });

  it("fails closed on rate-limited tools, keeps serving the rest, and still holds, decides and runs approvals", async () => {
    const client = await gw.connect(token);
    assert.equal((await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} })).isError, undefined);

    const exited = new Promise((resolve) => redis.once("exit", resolve));
    redis.kill("SIGKILL");
    await exited;

    const limited = await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} });
    assert.equal(limited.isError, true);
    assert.match(textOf(limited), /rate limits cannot be checked .*failing closed/);
    assert.equal(limited._meta?.["gatehouse/code"], "ratelimit_unavailable");

    const unlimited = await client.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 } });
    assert.equal(unlimited.isError, undefined, "calls without limits do not need Redis");

    const created = nextApproval(gw);
    const held = client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [502] } });
    const approval = await created;
    assert.equal((await decide(gw, approval.id, "approve")).status, 200);
    const result = await held;
    assert.equal(result.isError, undefined, textOf(result));
  });
});

describe("Slack messages after a Redis outage in scale-out mode", { skip }, () => {
  const SECRET = "outage-signing-secret";
  let port: number;
  let redis: ChildProcess;
  let slack: SlackApiStandIn;
  let gw: TestGateway;
  const startRedis = async () => {
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise<void>((resolve) => child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("Ready to accept connections") && resolve()));
    return child;
  };
  const stopRedis = async () => {
    const exited = new Promise((resolve) => redis.once("exit", resolve));
    redis.kill("SIGKILL");
    await exited;
  };

  before(async () => {
    port = await freePort();
    redis = await startRedis();
    slack = await startSlackApiStandIn();
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: { version: "1", default: "deny", tools: { smartlead_reconnect_failed_email_accounts: { action: "require_approval" } } } },
      extraConfig: { approvals: { ...FAST_APPROVALS, channel: "C0APPROVALS" } },
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, SLACK_BOT_TOKEN: "xoxb-outage", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url },
    });
  });
  after(async () => {
    await gw?.close();
    await slack?.close();
    if (redis && redis.exitCode === null) redis.kill("SIGKILL");
  });

  it("rewrites the message of a call decided and run while Redis was down, once Redis is back", async () => {
    const client = await gw.connect(await gw.createToken("outage-slack-agent"));
    const created = nextApproval(gw);
    const held = client.callTool({ name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: [503] } });
    const approval = await created;
    await slack.waitFor("chat.postMessage", (c) => JSON.stringify(c.body.blocks ?? "").includes(approval.id));

    await stopRedis();
    assert.equal((await decide(gw, approval.id, "approve")).status, 200, "decided while the queue is down");
    assert.equal((await held).isError, undefined, "the held call ran: its state is in Postgres");
    const updatesBefore = slack.callsTo("chat.update").filter((c) => JSON.stringify(c.body.blocks ?? "").includes(approval.id)).length;

    redis = await startRedis(); // empty: the update jobs asked for meanwhile are gone
    const rewritten = await slack.waitFor(
      "chat.update",
      (c) => JSON.stringify(c.body.blocks ?? "").includes(approval.id) && /Approved and run/.test(JSON.stringify(c.body.blocks)),
      60_000,
    );
    assert.doesNotMatch(JSON.stringify(rewritten.body.blocks), /gatehouse_approve/, "no buttons left on a decided call");
    assert.ok(slack.callsTo("chat.update").filter((c) => JSON.stringify(c.body.blocks ?? "").includes(approval.id)).length > updatesBefore);
  });
});

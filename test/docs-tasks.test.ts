// What docs/tasks.md promises a client that asks for a task, checked through the real gateway: the
// CreateTaskResult, the status messages, the ttl and pollInterval, cancelling, and grant scoping.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CallToolResultSchema, CreateTaskResultSchema, type CreateTaskResult } from "@modelcontextprotocol/sdk/types.js";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const SHORT = "smartlead_update_email_account";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { channel: "C0APPROVALS", timeout: "15m" } },
    [SHORT]: { action: "require_approval", approval: { timeout: "2s" } },
  },
};
const IMMEDIATE = "io.modelcontextprotocol/model-immediate-response";
const RELATED = "io.modelcontextprotocol/related-task";

describe(`docs/tasks.md: held calls as MCP tasks (${storageLabel()})`, () => {
  let gw: TestGateway;
  let agent: Client;
  let token: string;

  const callAsTask = (client: Client, name: string, args: Record<string, unknown>, task: Record<string, unknown> = {}) =>
    client.request({ method: "tools/call", params: { name, arguments: args, task } }, CreateTaskResultSchema);
  const ended = (client: Client, created: CreateTaskResult) => waitUntil(() => client.experimental.tasks.getTask(created.task.taskId), (t) => t.status !== "working");

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    token = await gw.createToken("task-agent");
    agent = await gw.connect(token);
  });
  after(() => gw.close());

  it("declares the tasks capability at initialize, and every listed tool takes a task optionally", async () => {
    assert.deepEqual(agent.getServerCapabilities()?.tasks, { list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const { tools } = await agent.listTools();
    assert.ok(tools.length > 0);
    for (const tool of tools) assert.equal(tool.execution?.taskSupport, "optional", tool.name);
  });

  it("answers a held call at once with a working task naming the channel, a ttl that outlives the hold, and pollInterval 5 s", async () => {
    const created = await callAsTask(agent, RECONNECT, { email_account_ids: [7001] }, { ttl: 60_000 });
    const { task } = created;
    assert.equal(task.status, "working");
    assert.equal(task.statusMessage, "awaiting approval in C0APPROVALS");
    assert.equal(task.pollInterval, 5_000);
    assert.ok(task.ttl! > 15 * 60_000 + 59 * 60_000, `ttl ${task.ttl} is raised past the 15 min approval timeout plus an hour`);
    assert.equal(created._meta?.[IMMEDIATE], `awaiting approval in C0APPROVALS. Task ${task.taskId} will hold the result of ${RECONNECT}.`);
  });

  it("completes the task once approved and run: 'approved by …; ran in N ms', and tasks/result carries related-task", async () => {
    const approval = nextApproval(gw);
    const created = await callAsTask(agent, RECONNECT, { email_account_ids: [501] });
    await decide(gw, (await approval).id, "approve");
    const done = await ended(agent, created);
    assert.equal(done.status, "completed", done.statusMessage);
    assert.match(done.statusMessage ?? "", /^approved by an administrator; ran in \d+ ms$/);
    const result = await agent.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.notEqual(result.isError, true, textOf(result));
    assert.deepEqual(result._meta?.[RELATED], { taskId: created.task.taskId });
  });

  it("fails the task of an approved call whose upstream answered isError: 'approved by …; the upstream call failed'", async () => {
    const approval = nextApproval(gw);
    const created = await callAsTask(agent, RECONNECT, { email_account_ids: [7002] });
    await decide(gw, (await approval).id, "approve");
    const done = await ended(agent, created);
    assert.equal(done.status, "failed");
    assert.equal(done.statusMessage, "approved by an administrator; the upstream call failed");
    const result = await agent.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(result.isError, true);
    assert.match(textOf(result), /7002 not found/);
  });

  it("fails the task of a denied call with the reviewer's reason, in statusMessage and tasks/result", async () => {
    const approval = nextApproval(gw);
    const created = await callAsTask(agent, RECONNECT, { email_account_ids: [7003] });
    await decide(gw, (await approval).id, "deny", { reason: "not during the campaign" });
    const done = await ended(agent, created);
    assert.equal(done.status, "failed");
    assert.equal(done.statusMessage, "denied by an administrator: not during the campaign");
    const result = await agent.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(result.isError, true);
    assert.match(textOf(result), /not during the campaign/);
  });

  it("fails the task of a call nobody decided in time: 'expired without a decision'", async () => {
    const created = await callAsTask(agent, SHORT, { email_account_id: 1, max_email_per_day: 10 });
    const done = await ended(agent, created);
    assert.equal(done.status, "failed");
    assert.equal(done.statusMessage, "expired without a decision");
  });

  it("fails (not cancels) the task when the approval is cancelled another way: an identical held request cancelled by its client", async () => {
    const approval = nextApproval(gw);
    const created = await callAsTask(agent, RECONNECT, { email_account_ids: [7004] });
    const { id } = await approval;
    const second = await gw.connect(token);
    const abort = new AbortController();
    const held = second.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [7004] } } }, CallToolResultSchema, { signal: abort.signal });
    await waitUntil(() => gw.instance.approvals.repo.get(id), (a) => (a?.agent.returns ?? 0) >= 1);
    abort.abort("the agent changed its mind");
    await assert.rejects(held);
    const done = await ended(agent, created);
    assert.equal(done.status, "failed");
    assert.match(done.statusMessage ?? "", /^cancelled: the agent's client cancelled the call/);
  });

  it("cancels the task and its approval with tasks/cancel; a second cancel is refused with -32602", async () => {
    const approval = nextApproval(gw);
    const created = await callAsTask(agent, RECONNECT, { email_account_ids: [7005] });
    const { id } = await approval;
    const cancelled = await agent.experimental.tasks.cancelTask(created.task.taskId);
    assert.equal(cancelled.status, "cancelled");
    assert.equal(cancelled.statusMessage, "Cancelled by the client; the call was not executed.");
    assert.equal((await gw.instance.approvals.repo.get(id))?.status, "cancelled");
    const result = await agent.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "Cancelled by the client; the call was not executed.");
    await assert.rejects(agent.experimental.tasks.cancelTask(created.task.taskId), (error: Error & { code?: number }) => error.code === -32602);
  });

  it("gives a task for a call answered at once: working 'answered without a hold', default ttl 1 h, then already ended", async () => {
    const created = await callAsTask(agent, "smartlead_get_campaign", { campaign_id: 1001 });
    assert.equal(created.task.status, "working");
    assert.equal(created.task.statusMessage, "answered without a hold");
    assert.equal(created.task.ttl, 60 * 60_000);
    assert.equal(created.task.pollInterval, 5_000);
    assert.equal((await agent.experimental.tasks.getTask(created.task.taskId)).status, "completed");
    const denied = await callAsTask(agent, "smartlead_delete_campaign", { campaign_id: 1 });
    assert.equal((await agent.experimental.tasks.getTask(denied.task.taskId)).status, "failed");
  });

  it("answers another grant's task, or an unknown one, with -32602 Task not found", async () => {
    const created = await callAsTask(agent, "smartlead_get_campaign", { campaign_id: 1001 });
    const stranger = await gw.connect(await gw.createToken("task-stranger"));
    for (const taskId of [created.task.taskId, "no-such-task"]) {
      await assert.rejects(stranger.experimental.tasks.getTask(taskId), (error: Error & { code?: number }) => error.code === -32602 && /Task not found/.test(error.message));
    }
  });
});

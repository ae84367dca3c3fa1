// A held call belongs to its call identity (grant, upstream, tool, arguments) and never runs without an
// agent there to take the result (DESIGN §5). Driven with the SDK client through the real gateway in
// front of the demo upstream, whose handler counts tell how often a call really ran.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, CreateTaskResultSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Approval } from "../src/approvals/index.ts";
import { listToolCalls } from "../src/audit/index.ts";
import { decide, nextApproval } from "./helpers/approvals.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const UPDATE_ACCOUNT = "smartlead_update_email_account";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } },
    [UPDATE_ACCOUNT]: { action: "require_approval", approval: { timeout: "2s" } },
    smartlead_update_campaign_status: { action: "require_approval", limits: [{ counter: "status", window: "hour", max: 2, scope: "grant" }] },
  },
};
const APPROVALS = {
  pollMs: 100,
  reaperSeconds: 0.2,
  instanceStaleSeconds: 2,
  heartbeatSeconds: 0.1,
  // Short on purpose: a held request answers after 1 s, as a real one does after 45 s.
  maxWaitSeconds: 1,
  claimGraceSeconds: 0.5,
  clients: { "patient-*": { maxWaitSeconds: 120 } },
  grants: { "quick-agent": { maxWaitSeconds: 0.2, pendingText: "Still waiting on {id} for {tool}; call again." } },
};

describe(`held calls follow their call identity (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let gw: TestGateway;
  let token: string;
  const runs = () => upstream.runs(RECONNECT);
  const connect = async (name = "test-agent", agentToken = token) => {
    const client = new Client({ name, version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${agentToken}` } } }));
    return client;
  };
  const reconnect = (client: Client, ids: number[], options: Parameters<Client["request"]>[2] = {}) =>
    client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: ids } } }, CallToolResultSchema, options);
  const approvalOf = (result: CallToolResult) => result._meta?.["gatehouse/approval_id"] as string;
  const approvalsFor = async (ids: number[]) =>
    (await gw.instance.approvals.repo.list({ limit: 500 })).filter((a) => a.tool === RECONNECT && JSON.stringify(a.argsRedacted) === JSON.stringify({ email_account_ids: ids }));
  const current = async (id: string) => (await gw.instance.approvals.repo.get(id))!;
  const agentLeft = (id: string) => waitUntil(() => current(id), (a) => !a.agent.isWaiting);

  before(async () => {
    upstream = await startCountingUpstream();
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, extraConfig: { approvals: APPROVALS } });
    token = await gw.createToken("attach-agent");
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  it("answers after max_wait that the call has NOT run; an identical call attaches, and runs it once when approved", async () => {
    const client = await connect();
    const before = runs();
    const first = await reconnect(client, [502]);
    assert.equal(first.isError, true);
    assert.equal(first._meta?.["gatehouse/approval_status"], "pending");
    assert.equal(first._meta?.["gatehouse/call_again"], true);
    const id = approvalOf(first);
    assert.match(textOf(first), new RegExp(`^${RECONNECT} has NOT run: it is waiting for a person to approve it \\(approval ${id}, decision due by .*\\)\\. To wait for the decision, call ${RECONNECT} again with exactly the same arguments`));
    assert.equal((await agentLeft(id)).agent.returns, 0);

    const second = await reconnect(client, [502]);
    assert.equal(approvalOf(second), id, "the identical call attached to the same approval");
    assert.equal((await approvalsFor([502])).length, 1, "people were asked once");
    assert.equal((await agentLeft(id)).agent.returns, 1, "the agent came back once");

    assert.equal((await decide(gw, id, "approve")).status, 200);
    await gw.instance.approvals.runtime.reap();
    assert.equal((await current(id)).status, "approved", "no agent attached: approved, not run");
    assert.equal(runs(), before, "nothing ran without an agent to take the result");

    const third = await reconnect(client, [502]);
    assert.equal(third.isError, undefined, textOf(third));
    assert.match(textOf(third), /"reconnected_count":\s*1/);
    assert.equal(approvalOf(third), id);
    assert.equal(runs(), before + 1, "ran once, for the agent that came back");

    const fourth = await reconnect(client, [502]);
    assert.equal(fourth._meta?.["gatehouse/replayed"], true, "an identical call within the result window gets the stored result");
    assert.equal(textOf(fourth), textOf(third));
    assert.equal(runs(), before + 1, "and is not run again");
    const { rows } = await listToolCalls(gw.instance.database, { tool: RECONNECT, limit: 50 });
    const mine = rows.filter((r) => JSON.stringify(r.argsRedacted) === JSON.stringify({ email_account_ids: [502] }));
    assert.deepEqual(mine.map((r) => r.status).sort(), ["attached", "attached", "replayed", "succeeded"], "every call left its audit row");
  });

  it("sends heartbeats whose progress increases every time, and waits as long as the client's settings say", async () => {
    // "patient-*" clients wait 120 s: the request is still held after many 0.1 s heartbeats (far past the 1 s default).
    const client = await connect("patient-sdk");
    const progress: number[] = [];
    const created = nextApproval(gw);
    let onTenth!: () => void;
    const tenth = new Promise<void>((resolve) => (onTenth = resolve));
    const call = reconnect(client, [503], {
      onprogress: (p) => {
        progress.push(p.progress);
        if (progress.length === 12) onTenth();
      },
      resetTimeoutOnProgress: true,
    });
    const approval = await created;
    await tenth;
    assert.equal((await current(approval.id)).agent.isWaiting, true, "still attached after a dozen heartbeats");
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! > progress[i - 1]!, `progress increases: ${progress.join(",")}`);
    await decide(gw, approval.id, "approve");
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
  });

  it("lets a grant override the client's settings, pending-answer text included", async () => {
    const quick = await connect("patient-sdk", await gw.createToken("quick-agent"));
    const result = await reconnect(quick, [504]);
    const id = approvalOf(result);
    assert.equal(textOf(result), `Still waiting on ${id} for ${RECONNECT}; call again.`);
  });

  it("detaches a client that drops its connection: nothing runs until an agent comes back", async () => {
    const client = await connect("patient-sdk");
    const before = runs();
    const created = nextApproval(gw);
    const call = reconnect(client, [505]).catch((error: unknown) => error);
    const approval = await created;
    await waitUntil(() => current(approval.id), (a) => a.agent.isWaiting);
    await client.close(); // drops the HTTP stream; no cancel is sent
    assert.ok((await call) instanceof Error);
    const detached = await agentLeft(approval.id);
    assert.equal(detached.status, "pending", "a dropped connection is not a cancel");

    await decide(gw, approval.id, "approve");
    await gw.instance.approvals.runtime.reap();
    assert.equal((await current(approval.id)).status, "approved");
    assert.equal(runs(), before, "approved with nobody attached: nothing ran");

    const back = await connect();
    const result = await reconnect(back, [505]);
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(runs(), before + 1);
  });

  it("treats the client's own request timeout as a detach, not a cancel", async () => {
    const client = await connect("patient-sdk");
    const created = nextApproval(gw);
    // The SDK sends notifications/cancelled with "Request timed out" when its timeout fires.
    const call = reconnect(client, [501, 502], { timeout: 300 }).catch((error: unknown) => error as Error);
    const approval = await created;
    assert.match(String(await call), /timed out/i);
    const after = await agentLeft(approval.id);
    assert.equal(after.status, "pending");
  });

  it("cancels on an explicit cancel; an identical call afterwards asks people again", async () => {
    const client = await connect("patient-sdk");
    const created = nextApproval(gw);
    const controller = new AbortController();
    const call = reconnect(client, [501, 503], { signal: controller.signal }).catch(() => null);
    const approval = await created;
    const cancelled = nextApproval(gw, "cancelled", approval.id);
    controller.abort("the user pressed stop");
    await call;
    const ended = await cancelled;
    assert.match(ended.decisionReason ?? "", /cancelled the call \(the user pressed stop\)/);
    const again = await reconnect(await connect(), [501, 503]);
    assert.notEqual(approvalOf(again), approval.id, "a new approval after a cancel");
  });

  it("cancels the held calls of a session the client ends (DELETE)", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: "patient-sdk", version: "1" });
    await client.connect(transport);
    const created = nextApproval(gw);
    const call = reconnect(client, [502, 503]).catch(() => null);
    const approval = await created;
    const cancelled = nextApproval(gw, "cancelled", approval.id);
    await transport.terminateSession();
    await cancelled;
    await client.close();
    await call;
  });

  it("gives an identical call the same denial until the deadline, without asking people again", async () => {
    const client = await connect();
    const first = await reconnect(client, [502, 504]);
    const id = approvalOf(first);
    await decide(gw, id, "deny", { reason: "not during the migration" });
    const again = await reconnect(client, [502, 504]);
    assert.equal(again._meta?.["gatehouse/replayed"], true);
    assert.match(textOf(again), /Denied by .*: not during the migration\. The call was not executed\./);
    assert.equal((await approvalsFor([502, 504])).length, 1);
  });

  it("expires an approval whose agent never came back, without running it", async () => {
    const client = await connect();
    const before = upstream.runs(UPDATE_ACCOUNT);
    const first = await client.callTool({ name: UPDATE_ACCOUNT, arguments: { email_account_id: 501, name: "Ops" } });
    const id = approvalOf(first as CallToolResult);
    const expired = nextApproval(gw, "expired", id);
    await decide(gw, id, "approve");
    const ended: Approval = await expired;
    assert.ok(ended.decidedBy && ended.decidedBy !== "timeout", "who approved stays on record");
    assert.equal(upstream.runs(UPDATE_ACCOUNT), before, "an approval nobody came back for never runs");
    const late = await client.callTool({ name: UPDATE_ACCOUNT, arguments: { email_account_id: 501, name: "Ops" } });
    assert.notEqual(approvalOf(late as CallToolResult), id, "after the deadline an identical call asks again");
  });

  it("gives the quota of a denied call back once, and an attached retry takes none", async () => {
    const client = await connect();
    const status = (campaign: number) => client.callTool({ name: "smartlead_update_campaign_status", arguments: { campaign_id: campaign, status: "PAUSED" } }) as Promise<CallToolResult>;
    const first = await status(1001);
    await status(1001); // attaches: must not take a second unit of the 2 per hour
    const settled = waitUntil(() => gw.instance.database.pool.query<{ settled: Date | null }>("SELECT quota_settled_at AS settled FROM approvals WHERE id = $1", [approvalOf(first)]), (r) => r.rows[0]?.settled != null);
    await decide(gw, approvalOf(first), "deny");
    await settled;
    assert.equal((await status(1002))._meta?.["gatehouse/decision"], "require_approval");
    assert.equal((await status(1003))._meta?.["gatehouse/decision"], "require_approval");
    const limited = await status(1004);
    assert.equal(limited._meta?.["gatehouse/decision"], "rate_limited", textOf(limited));
  });

  it("attaches an identical call that asks for a task: one approval, one run, the result for the task and the held request", async () => {
    const patient = await connect("patient-sdk");
    const before = runs();
    const created = nextApproval(gw);
    const held = reconnect(patient, [503, 504]);
    const approval = await created;
    const tasker = await connect();
    const { task } = await tasker.request(
      { method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [503, 504] }, task: { ttl: 600_000 } } },
      CreateTaskResultSchema,
    );
    assert.equal((await approvalsFor([503, 504])).length, 1);
    await decide(gw, approval.id, "approve");
    const fromHold = await held;
    const done = await waitUntil(() => tasker.experimental.tasks.getTask(task.taskId), (t) => t.status !== "working");
    assert.equal(done.status, "completed", done.statusMessage);
    const fromTask = await tasker.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    assert.equal(textOf(fromTask), textOf(fromHold));
    assert.equal(runs(), before + 1, "ran once for both");
  });

  it("opens one approval for identical calls that arrive together", async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connect()));
    const answers = await Promise.all(clients.map((c) => reconnect(c, [501, 504])));
    assert.equal(new Set(answers.map(approvalOf)).size, 1);
    assert.equal((await approvalsFor([501, 504])).length, 1);
  });

  it("keeps the approval open when a gatehouse_approval_status call is cancelled: the agent only stopped asking", async () => {
    const client = await connect("patient-sdk");
    const id = approvalOf(await reconnect(await connect(), [502, 505]));
    const controller = new AbortController();
    const status = client
      .request({ method: "tools/call", params: { name: "gatehouse_approval_status", arguments: { id } } }, CallToolResultSchema, { signal: controller.signal })
      .catch(() => null);
    await waitUntil(() => current(id), (a) => a.agent.isWaiting);
    controller.abort("stop asking");
    await status;
    const after = await agentLeft(id);
    assert.equal(after.status, "pending");
  });

  it("hands every waiting agent the pending answer when the gateway stops; the approval stays open", async () => {
    const client = await connect("patient-sdk");
    const created = nextApproval(gw);
    const call = reconnect(client, [503, 505]);
    const approval = await created;
    await waitUntil(() => current(approval.id), (a) => a.agent.isWaiting);
    await gw.instance.close();
    const answer = await call;
    assert.equal(answer._meta?.["gatehouse/approval_status"], "pending");
    assert.match(textOf(answer), new RegExp(`^Gatehouse is restarting; nothing was lost\\. ${RECONNECT} has NOT run`));
  });
});

// An upstream that dies or goes quiet after the call was sent: the call may have run, so it ends
// `outcome_unknown` (never `failed`), keeps its quota and is not retried. A call that never reached
// the upstream (nothing listening) is `failed` and gives its quota back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { listAuditEvents, listToolCalls } from "../src/audit/index.ts";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { startEverythingHttp } from "./helpers/everything.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const SLOW = { ...DEMO_UPSTREAM, env: { SMARTLEAD_STEP_DELAY_MS: "5000" } };
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    // One call per grant and day; several accounts at once need a person.
    [RECONNECT]: {
      limits: [{ counter: "reconnect", window: "day", max: 1, scope: "grant" }],
      approval_if: [{ path: "args.email_account_ids", op: "len_gt", value: 1 }],
    },
  },
};
const EVERYTHING_POLICY = { version: "1", default: "deny", tools: { echo: { limits: [{ counter: "echo", window: "day", max: 1, scope: "grant" }] } } };

describe(`calls the upstream never answered (${storageLabel()})`, () => {
  let gw: TestGateway;
  let http: Awaited<ReturnType<typeof startEverythingHttp>>;
  const statusOf = (callId: string) =>
    waitUntil(
      () => listToolCalls(gw.instance.database, { limit: 100 }).then((page) => page.rows.find((r) => r.id === callId)),
      (row) => row !== undefined && row.status !== "forwarded" && row.status !== "executing" && row.status !== "approved",
    );
  // Sends the call with a progress token and kills the upstream child as soon as it reports that it started.
  const callAndKillMidCall = async (client: Awaited<ReturnType<TestGateway["connect"]>>, name: string, ids: number[], onHeld?: (message: string) => void) => {
    const upstream = gw.instance.upstreams.get("smartlead")!;
    let isKilled = false;
    return client.request({ method: "tools/call", params: { name, arguments: { email_account_ids: ids } } }, CallToolResultSchema, {
      onprogress: (p) => {
        onHeld?.(p.message ?? "");
        if (isKilled || !/^reconnecting/.test(p.message ?? "")) return;
        isKilled = true;
        process.kill(upstream.status().pid!, "SIGKILL");
      },
    });
  };

  before(async () => {
    http = await startEverythingHttp();
    gw = await startTestGateway({
      upstreams: { smartlead: SLOW, tight: { ...SLOW, timeoutMs: 400 }, everything: { url: http.url } },
      policies: { smartlead: POLICY, tight: POLICY, everything: EVERYTHING_POLICY },
      extraConfig: { approvals: FAST_APPROVALS },
    });
  });
  let isHttpClosed = false;
  const closeHttp = async () => {
    if (!isHttpClosed) await http.close();
    isHttpClosed = true;
  };
  after(async () => {
    await gw.close();
    await closeHttp();
  });

  it("an allowed call whose upstream dies mid-call is outcome_unknown, says it may have run, and keeps its quota", async () => {
    const client = await gw.connect(await gw.createToken("agent-allowed"));
    const result = await callAndKillMidCall(client, `smartlead__${RECONNECT}`, [502]);
    assert.equal(result.isError, true);
    assert.equal(result._meta?.["gatehouse/code"], "upstream_outcome_unknown");
    assert.match(textOf(result), /^Upstream "smartlead" gave no answer: the connection was lost during the call \(.+\)\. The call to smartlead_reconnect_failed_email_accounts was sent, so it may or may not have run; Gatehouse does not retry it\. Check its effect before calling it again\.$/);

    const row = await statusOf(String(result._meta?.["gatehouse/call_id"]));
    assert.equal(row?.status, "outcome_unknown");
    assert.match(row?.error ?? "", /connection was lost during the call/);
    const events = await listAuditEvents(gw.instance.database, { callId: row!.id });
    assert.deepEqual(events.rows.map((e) => e.type).reverse(), ["call.allowed", "call.outcome_unknown"]);

    const again = await client.callTool({ name: `smartlead__${RECONNECT}`, arguments: { email_account_ids: [503] } });
    assert.equal(again._meta?.["gatehouse/decision"], "rate_limited", "the quota stays used: the call may have run");
  });

  it("an allowed call that outlives the upstream's timeoutMs is outcome_unknown too", async () => {
    const client = await gw.connect(await gw.createToken("agent-timeout"));
    const result = await client.callTool({ name: `tight__${RECONNECT}`, arguments: { email_account_ids: [502] } });
    assert.equal(result._meta?.["gatehouse/code"], "upstream_outcome_unknown");
    assert.match(textOf(result), /^Upstream "tight" gave no answer: no answer within 400 ms \(upstreams\.tight\.timeoutMs\)\. .*may or may not have run/);
    assert.equal((await statusOf(String(result._meta?.["gatehouse/call_id"])))?.status, "outcome_unknown");
  });

  it("an approved call whose upstream dies mid-call ends outcome_unknown, never failed", async () => {
    await gw.instance.upstreams.get("smartlead")!.whenReady();
    const client = await gw.connect(await gw.createToken("agent-held"));
    const created = nextApproval(gw);
    const call = callAndKillMidCall(client, `smartlead__${RECONNECT}`, [502, 503]);
    const approval = await created;
    assert.equal((await decide(gw, approval.id, "approve")).status, 200);
    const result = await call;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^The approved call may or may not have run: Upstream "smartlead" gave no answer: the connection was lost during the call .*Gatehouse does not retry it/);
    const final = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(final?.status, "outcome_unknown");
    assert.equal((await statusOf(approval.callId))?.status, "outcome_unknown");
  });

  it("a call to an upstream that is gone before the call was never sent: failed, quota given back", async () => {
    const client = await gw.connect(await gw.createToken("agent-down"));
    await closeHttp();
    const result = await client.callTool({ name: "everything__echo", arguments: { message: "hi" } });
    assert.equal(result.isError, true);
    assert.equal(result._meta?.["gatehouse/code"], "upstream_unavailable");
    assert.match(textOf(result), /^Upstream "everything" failed to run echo: Upstream "everything" is unavailable: cannot connect/);
    assert.equal((await statusOf(String(result._meta?.["gatehouse/call_id"])))?.status, "failed");
    const again = await client.callTool({ name: "everything__echo", arguments: { message: "hi" } });
    assert.equal(again._meta?.["gatehouse/code"], "upstream_unavailable", "not rate-limited: the failed call gave its quota back");
  });
});

// What an operator watches, through the real gateway: /metrics as Prometheus scrapes it (allowed-call
// latency kept apart from held calls, pending approvals read from the database, decisions by outcome and
// channel, upstream errors, audit write lag, Node's process metrics under their standard names), and the
// one info log line each tool call writes, without its arguments.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateTaskResultSchema } from "@modelcontextprotocol/sdk/experimental/tasks/types.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { createLogger } from "../src/log/index.ts";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { openDatabaseBehindProxy, type DatabaseBehindProxy } from "./helpers/database-proxy.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    smartlead_delete_campaign: { action: "deny", reason: "Deleting campaigns is done by people." },
    [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } },
    smartlead_pause_lead_by_campaign: { action: "require_approval", approval: { timeout: "1s", wait: "ticket" } },
  },
};
const SECRET = "sk_live_51HqLyjWDarjtT1zdp7dcXYZsecretvalue";

/** Sum of the samples of `name` whose labels include `labels` (0 when there is none). */
function sum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const sample of samples(text, name)) {
    if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) total += sample.value;
  }
  return total;
}

function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const found = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

describe(`metrics and call logs (${storageLabel()})`, () => {
  let gw: TestGateway;
  /** A second gateway on the same database, as a replica behind a load balancer. */
  let replica: TestGateway;
  let smartlead: CountingUpstream;
  let doomed: CountingUpstream;
  const written: string[] = [];
  const logLines = () => written.map((line) => JSON.parse(line) as LogLine);
  const callLines = (grant: string) => logLines().filter((l) => l.msg === "tool call" && l.grant === grant);
  const scrape = async () => {
    const response = await fetch(`${gw.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    return response.text();
  };

  before(async () => {
    smartlead = await startCountingUpstream();
    doomed = await startCountingUpstream();
    gw = await startTestGateway({
      upstreams: { smartlead: smartlead.config, doomed: doomed.config },
      policies: { smartlead: POLICY, doomed: { version: "1", default: "allow" } },
      extraConfig: { approvals: FAST_APPROVALS },
      logger: createLogger("info", { write: (line: string) => void written.push(line) }),
    });
    replica = await startTestGateway({
      upstreams: { smartlead: smartlead.config },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: FAST_APPROVALS, storage: { schema: gw.instance.database.schema } },
      databaseUrl: gw.instance.databaseUrl,
    });
  });
  after(async () => {
    await replica?.close();
    await gw?.close();
    await smartlead.close();
    await doomed.close();
  });

  it("exposes Node's process metrics under their standard names, not prefixed", async () => {
    const text = await scrape();
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes", "nodejs_version_info"]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), `${name} is exposed`);
    }
    assert.doesNotMatch(text, /^gatehouse_(process|nodejs)_/m);
  });

  it("an allowed call moves the allowed-call latency histogram, not the held one, and logs one line without its arguments", async () => {
    const client = await gw.connect(await gw.createToken("obs-allowed"));
    const before = await scrape();
    const ok = await client.callTool({ name: "smartlead__smartlead_get_email_account_by_id", arguments: { email_account_id: 502 } });
    assert.equal(ok.isError, undefined, textOf(ok));
    const failed = await client.callTool({ name: "smartlead__smartlead_get_team_details", arguments: { team_id: SECRET } });
    assert.equal(failed.isError, true);
    assert.match(textOf(failed), new RegExp(SECRET), "the agent sees the upstream's answer, which echoes the argument");
    const denied = await client.callTool({ name: "smartlead__smartlead_delete_campaign", arguments: { campaign_id: 1 } });
    assert.equal(denied._meta?.["gatehouse/decision"], "deny");
    const afterwards = await scrape();

    const allowedCount = (text: string) => sum(text, "gatehouse_tool_call_duration_seconds_count", { upstream: "smartlead", decision: "allow" });
    assert.equal(allowedCount(afterwards) - allowedCount(before), 2);
    assert.equal(
      sum(afterwards, "gatehouse_tool_call_duration_seconds_count", { upstream: "smartlead", decision: "deny" }) - sum(before, "gatehouse_tool_call_duration_seconds_count", { upstream: "smartlead", decision: "deny" }),
      1,
    );
    assert.equal(sum(afterwards, "gatehouse_held_call_duration_seconds_count"), sum(before, "gatehouse_held_call_duration_seconds_count"), "no held series moves");
    const calls = (text: string, outcome: string, decision = "allow") => sum(text, "gatehouse_tool_calls_total", { upstream: "smartlead", decision, outcome });
    assert.equal(calls(afterwards, "succeeded") - calls(before, "succeeded"), 1);
    assert.equal(calls(afterwards, "failed") - calls(before, "failed"), 1);
    assert.equal(calls(afterwards, "refused", "deny") - calls(before, "refused", "deny"), 1);
    const errors = (text: string) => sum(text, "gatehouse_upstream_errors_total", { upstream: "smartlead", kind: "error_result" });
    assert.equal(errors(afterwards) - errors(before), 1, "an isError result from the upstream counts");
    assert.ok(sum(afterwards, "gatehouse_audit_commit_lag_seconds_count") >= sum(before, "gatehouse_audit_commit_lag_seconds_count") + 3, "each call's decision row was committed and timed");
    assert.equal(samples(afterwards, "gatehouse_audit_pending_entries").length, 1);
    assert.equal(samples(afterwards, "gatehouse_audit_oldest_pending_seconds").length, 1);

    const lines = callLines("obs-allowed");
    assert.equal(lines.length, 3, "one line per call");
    for (const line of lines) {
      assert.equal(line.level, 30, "info");
      assert.match(String(line.callId), /^[0-9a-f-]{36}$/);
      assert.equal(line.upstream, "smartlead");
      assert.equal(typeof line.durationMs, "number");
      assert.equal("approvalId" in line, false, "only held calls name an approval");
    }
    assert.deepEqual(
      lines.map((l) => [l.tool, l.decision, l.outcome]),
      [
        ["smartlead_get_email_account_by_id", "allow", "succeeded"],
        ["smartlead_get_team_details", "allow", "failed"],
        ["smartlead_delete_campaign", "deny", "refused"],
      ],
    );
    assert.equal(lines[2]!.rule, "/tools/smartlead_delete_campaign");
    assert.equal(lines[2]!.callId, denied._meta?.["gatehouse/call_id"]);
    assert.equal(written.some((line) => line.includes(SECRET)), false, "no argument value reaches the log");
    assert.equal(written.some((line) => line.includes("email_account_id")), false, "nor argument names");
  });

  it("a held call approved over the admin API: pending 1 → 0, a decision by api, time to decision, one log line when it ends", async () => {
    const client = await gw.connect(await gw.createToken("obs-held"));
    const pending = (text: string) => sum(text, "gatehouse_approvals_pending", { upstream: "smartlead" });
    const decisions = (text: string) => sum(text, "gatehouse_approval_decisions_total", { outcome: "approved", channel: "api" });
    const decisionTimes = (text: string) => sum(text, "gatehouse_approval_decision_seconds_count", { outcome: "approved", channel: "api" });
    const held = (text: string) => sum(text, "gatehouse_held_call_duration_seconds_count", { upstream: "smartlead", outcome: "succeeded" });
    const allowedRequireApproval = (text: string) => sum(text, "gatehouse_tool_call_duration_seconds_count", { decision: "require_approval" });
    const before = await scrape();
    assert.equal(pending(before), 0);
    assert.equal(sum(before, "gatehouse_database_up"), 1);

    const created = nextApproval(gw);
    let beats = 0;
    let onSecondBeat: () => void = () => {};
    const twoBeats = new Promise<void>((resolve) => (onSecondBeat = resolve));
    const call = client.request({ method: "tools/call", params: { name: `smartlead__${RECONNECT}`, arguments: { email_account_ids: [502] } } }, CallToolResultSchema, {
      onprogress: () => {
        if (++beats === 2) onSecondBeat();
      },
      resetTimeoutOnProgress: true,
    });
    const approval = await created;
    await twoBeats;
    const whileHeld = await scrape();
    assert.equal(pending(whileHeld), 1);
    const onReplica = await (await fetch(`${replica.url}/metrics`)).text();
    assert.equal(pending(onReplica), 1, "every replica reads the same count from the database");
    assert.equal(callLines("obs-held").length, 0, "heartbeats write no call line");

    assert.equal((await decide(gw, approval.id, "approve")).status, 200);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    const afterwards = await scrape();
    assert.equal(pending(afterwards), 0);
    assert.equal(decisions(afterwards) - decisions(before), 1);
    assert.equal(decisionTimes(afterwards) - decisionTimes(before), 1);
    assert.equal(held(afterwards) - held(before), 1, "the held call has its own series");
    assert.equal(allowedRequireApproval(afterwards), allowedRequireApproval(before), "and stays out of the answered-at-once latency");

    const lines = callLines("obs-held");
    assert.equal(lines.length, 1, "one line for the call, written when it ended");
    assert.equal(lines[0]!.level, 30);
    assert.equal(lines[0]!.callId, approval.callId);
    assert.equal(lines[0]!.approvalId, approval.id);
    assert.equal(lines[0]!.decision, "require_approval");
    assert.equal(lines[0]!.outcome, "succeeded");
    assert.equal(lines[0]!.tool, RECONNECT);
    assert.ok((lines[0]!.durationMs as number) > 0);
  });

  it("a request nobody decides: the agent's pending answer is a held outcome, and the expiry a decision by timeout", async () => {
    const client = await gw.connect(await gw.createToken("obs-expiry"));
    // Whichever replica's reaper expires it counts it, once: the replicas' counts add up.
    const expired = async () => {
      const texts = await Promise.all([scrape(), fetch(`${replica.url}/metrics`).then((r) => r.text())]);
      return texts.reduce((total, text) => total + sum(text, "gatehouse_approval_decisions_total", { outcome: "expired", channel: "timeout" }), 0);
    };
    const expiredBefore = await expired();
    const before = await scrape();
    const created = nextApproval(gw);
    const ticket = await client.callTool({ name: "smartlead__smartlead_pause_lead_by_campaign", arguments: { campaign_id: 1, lead_id: 2 } });
    assert.equal(ticket._meta?.["gatehouse/call_again"], true);
    const approval = await created;
    const [line] = callLines("obs-expiry");
    assert.deepEqual([line?.outcome, line?.approvalId], ["pending", approval.id]);
    // Either gateway's reaper may expire it (the other hears nothing on an embedded database): poll both.
    await waitUntil(expired, (count) => count === expiredBefore + 1);
    const status = await client.callTool({ name: "gatehouse_approval_status", arguments: { id: approval.id } });
    assert.equal(status._meta?.["gatehouse/approval_status"], "expired");
    const afterwards = await scrape();
    assert.equal((await expired()) - expiredBefore, 1, "counted once, by the gateway that expired it");
    assert.equal(sum(afterwards, "gatehouse_held_call_duration_seconds_count", { upstream: "smartlead", outcome: "pending" }) - sum(before, "gatehouse_held_call_duration_seconds_count", { upstream: "smartlead", outcome: "pending" }), 1);
    assert.equal(sum(afterwards, "gatehouse_approvals_pending"), 0);
    const lines = callLines("obs-expiry");
    assert.equal(lines.length, 2);
    assert.deepEqual(
      [lines[1]!.tool, lines[1]!.decision, lines[1]!.upstream, lines[1]!.outcome, lines[1]!.approvalId],
      ["gatehouse_approval_status", "gateway_tool", null, "expired", approval.id],
      "Gatehouse's own tool logs its line too",
    );
  });

  it("a held call answered with an MCP task logs the task and its approval", async () => {
    const client = await gw.connect(await gw.createToken("obs-task"));
    const created = nextApproval(gw);
    const { task } = await client.request({ method: "tools/call", params: { name: `smartlead__${RECONNECT}`, arguments: { email_account_ids: [503] }, task: {} } }, CreateTaskResultSchema);
    assert.equal(task.status, "working");
    const approval = await created;
    const lines = callLines("obs-task");
    assert.deepEqual(
      lines.map((l) => [l.decision, l.outcome, l.approvalId, l.callId]),
      [["require_approval", "task", approval.id, approval.callId]],
    );
  });

  it("an upstream that cannot be reached counts as unavailable", async () => {
    const client = await gw.connect(await gw.createToken("obs-down"));
    const unavailable = (text: string) => sum(text, "gatehouse_upstream_errors_total", { upstream: "doomed", kind: "unavailable" });
    const before = await scrape();
    await doomed.close();
    const result = await client.callTool({ name: "doomed__smartlead_get_email_account_by_id", arguments: { email_account_id: 502 } });
    assert.equal(result._meta?.["gatehouse/code"], "upstream_unavailable");
    const afterwards = await scrape();
    assert.equal(unavailable(afterwards) - unavailable(before), 1);
    const [line] = callLines("obs-down");
    assert.equal(line?.outcome, "failed");
    assert.equal(line?.code, "upstream_unavailable");
  });
});

describe(`a scrape while the database is down (${storageLabel()})`, () => {
  let db: DatabaseBehindProxy;
  let upstream: CountingUpstream;
  let gw: TestGateway;
  const written: string[] = [];
  const scrape = async () => {
    const response = await fetch(`${gw.url}/metrics`);
    assert.equal(response.status, 200, "the scrape never fails");
    return response.text();
  };

  before(async () => {
    db = await openDatabaseBehindProxy("gh_obs");
    upstream = await startCountingUpstream();
    gw = await startTestGateway({
      upstreams: { smartlead: upstream.config },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: FAST_APPROVALS },
      databaseUrl: db.url,
      schema: db.schema,
      logger: createLogger("info", { write: (line: string) => void written.push(line) }),
    });
  });
  after(async () => {
    db?.proxy.restore();
    await gw?.close();
    await db?.close();
    await upstream?.close();
  });

  it("answers without the pending series and with gatehouse_database_up 0, counts the audit entries it could not write, then recovers", async () => {
    const client = await gw.connect(await gw.createToken("obs-outage"));
    const up = await scrape();
    assert.equal(sum(up, "gatehouse_database_up"), 1);
    assert.deepEqual(samples(up, "gatehouse_approvals_pending"), [{ labels: { upstream: "smartlead" }, value: 0 }]);

    db.proxy.cut();
    const down = await scrape();
    assert.equal(sum(down, "gatehouse_database_up"), 0);
    assert.deepEqual(samples(down, "gatehouse_approvals_pending"), [], "no number is better than a wrong one");
    assert.match(down, /^process_cpu_seconds_total /m, "the rest of the scrape is there");
    const refused = await client.callTool({ name: "smartlead_get_email_account_by_id", arguments: { email_account_id: 502 } });
    assert.equal(refused._meta?.["gatehouse/code"], "audit_unavailable");
    const afterRefusal = await scrape();
    assert.ok(sum(afterRefusal, "gatehouse_audit_write_failures_total") > sum(up, "gatehouse_audit_write_failures_total"));
    assert.equal(
      sum(afterRefusal, "gatehouse_tool_calls_total", { upstream: "smartlead", decision: "allow", outcome: "error" }) - sum(up, "gatehouse_tool_calls_total", { upstream: "smartlead", decision: "allow", outcome: "error" }),
      1,
    );
    const lines = written.map((line) => JSON.parse(line) as LogLine).filter((l) => l.msg === "tool call" && l.grant === "obs-outage");
    assert.deepEqual(lines.map((l) => [l.outcome, l.code]), [["error", "audit_unavailable"]]);

    db.proxy.restore();
    const back = await waitUntil(scrape, (text) => sum(text, "gatehouse_database_up") === 1);
    assert.equal(sum(back, "gatehouse_approvals_pending", { upstream: "smartlead" }), 0);
  });
});

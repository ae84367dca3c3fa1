// A burst of calls that need approval, arriving while the database is slow. Before, every one of them
// queued for a database connection; those that waited past the pool's 5 s were refused as if the
// database were down (10,000 held at once: 3,310 refused), and an allowed call's audit commit queued
// behind all of them. Now only RECORDING_CONCURRENCY calls record their approval request at a time and
// the rest wait their turn in memory (gatehouse_approval_requests_waiting counts them): every one is
// recorded once the database answers, none refused, and an allowed call made meanwhile is not last.
// A call cancelled or dropped while in line is recorded when its turn comes, then cancelled or detached.
// A database that does not answer at all: a recording gives up after approvals.recordTimeoutSeconds, and
// once a recording has failed, the calls waiting behind it are refused at once, without asking the database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { RECORDING_CONCURRENCY } from "../src/approvals/hold.ts";
import { openDatabaseBehindProxy, type DatabaseBehindProxy } from "./helpers/database-proxy.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const HELD_TOOL = "smartlead_pause_lead_by_campaign";
const WAITING_TOOL = "smartlead_delete_campaign";
const ALLOWED_TOOL = "smartlead_get_campaign";
const BURST = 200;
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [HELD_TOOL]: { action: "require_approval", approval: { wait: "ticket", timeout: "1h" } },
    // Held requests: the agent waits on the open request.
    [WAITING_TOOL]: { action: "require_approval", approval: { timeout: "1h" } },
  },
};

describe(`a burst of held calls while the database hangs (${storageLabel()})`, () => {
  // Recordings stuck on the hung database wait for it as long as the test needs (the default gives up after 5 s).
  const setup = gatewayBehindProxy("gh_burst", "burst-agent", 600);
  
  const inLine = async () => setup.gw.instance.approvals.waitingToRecord();
  const waitingGauge = async () => {
    const text = await (await fetch(`${setup.gw.url}/metrics`)).text();
    return Number(/^gatehouse_approval_requests_waiting (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  it(`records all ${BURST} approval requests in turns once the database answers, none refused`, async () => {
    const { db, upstream, gw, token } = setup;
    const client = await gw.connect(token);
    const finished: string[] = [];
    // Warm: the session and the grant are known before the database hangs.
    await client.callTool({ name: ALLOWED_TOOL, arguments: { campaign_id: 1001 } });

    db.proxy.pause();
    const holds = Array.from({ length: BURST }, (_, i) =>
      client.callTool({ name: HELD_TOOL, arguments: { campaign_id: 1001, lead_id: 10_000 + i } }).then((result) => {
        finished.push("hold");
        return result as CallToolResult;
      }),
    );
    // Every call has arrived: RECORDING_CONCURRENCY of them are recording (stuck on the database), the rest wait in line.
    await waitUntil(inLine, (waiting) => waiting === BURST - RECORDING_CONCURRENCY, 30_000);
    const allowed = client.callTool({ name: ALLOWED_TOOL, arguments: { campaign_id: 1001 } }).then((result) => {
      finished.push("allowed");
      return result as CallToolResult;
    });
    db.proxy.resume();

    const [answers, allowedAnswer] = await Promise.all([Promise.all(holds), allowed]);
    const refused = answers.filter((a) => a._meta?.["gatehouse/approval_status"] !== "pending");
    assert.deepEqual(refused.map((a) => a._meta?.["gatehouse/code"]), [], "every call got its ticket: none refused");
    assert.equal(new Set(answers.map((a) => a._meta?.["gatehouse/approval_id"])).size, BURST, "one approval each");
    assert.equal((await gw.instance.approvals.repo.list({ statuses: ["pending"], limit: 1_000 })).length, BURST);
    assert.equal(upstream.runs(HELD_TOOL), 0, "nothing held has run");
    assert.equal(await waitingGauge(), 0);

    assert.notEqual(allowedAnswer.isError, true);
    const holdsBefore = finished.indexOf("allowed");
    // Its audit commit queues behind the recordings in flight, not behind all the calls still in line.
    assert.ok(holdsBefore < BURST - RECORDING_CONCURRENCY, `the allowed call finished after ${holdsBefore} of ${BURST} holds`);
    await client.close();
  });
});

describe(`calls that leave while waiting their turn to be recorded (${storageLabel()})`, () => {
  const setup = gatewayBehindProxy("gh_burst_leave", "leaving-agent", 600);
  
  it("records a call cancelled in line, then cancels it; records a call dropped in line, then detaches it", async () => {
    const { db, upstream, gw, token } = setup;
    const filler = await gw.connect(token);
    // The JSON-RPC id of each tools/call the cancelling client sends, to cancel it by.
    const sentIds: Array<string | number> = [];
    const recordingFetch: typeof fetch = async (url, init) => {
      const body = typeof init?.body === "string" ? (JSON.parse(init.body) as { method?: string; id?: string | number }) : null;
      if (body?.method === "tools/call" && body.id !== undefined) sentIds.push(body.id);
      return fetch(url, init);
    };
    const connect = async (options: { fetch?: typeof fetch } = {}) => {
      const client = new Client({ name: "patient-agent", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { fetch: options.fetch, requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      return client;
    };
    const canceller = await connect({ fetch: recordingFetch });
    const dropper = await connect();
    await filler.callTool({ name: ALLOWED_TOOL, arguments: { campaign_id: 1001 } });

    const inLine = async () => gw.instance.approvals.waitingToRecord();
    db.proxy.pause();
    // RECORDING_CONCURRENCY recording (stuck on the database) and one in line: the next calls queue behind it.
    const fillers = Array.from({ length: RECORDING_CONCURRENCY + 1 }, (_, i) => filler.callTool({ name: HELD_TOOL, arguments: { campaign_id: 2002, lead_id: i } }));
    await waitUntil(inLine, (waiting) => waiting === 1);
    const cancelled = canceller.callTool({ name: WAITING_TOOL, arguments: { campaign_id: 3003 } }).catch((error: unknown) => error);
    const dropped = dropper.callTool({ name: WAITING_TOOL, arguments: { campaign_id: 4004 } }).catch((error: unknown) => error);
    await waitUntil(inLine, (waiting) => waiting === 3);
    assert.equal(sentIds.length, 1);
    // Awaited: the gateway has taken the cancel when this returns, while the call is still in line.
    await canceller.notification({ method: "notifications/cancelled", params: { requestId: sentIds[0]!, reason: "the user pressed stop" } });
    await dropper.close();
    assert.ok((await dropped) instanceof Error, "the dropped client's own call ended with its connection");
    db.proxy.resume();

    assert.equal((await Promise.all(fillers)).filter((a) => a._meta?.["gatehouse/approval_status"] !== "pending").length, 0);
    const approvalFor = async (campaignId: number) => {
      const all = await gw.instance.approvals.repo.list({ limit: 1_000 });
      return all.find((a) => a.tool === WAITING_TOOL && (a.argsRedacted as { campaign_id?: number }).campaign_id === campaignId);
    };
    const wasCancelled = await waitUntil(() => approvalFor(3003), (a) => a?.status === "cancelled");
    assert.match(wasCancelled!.decisionReason ?? "", /cancelled the call \(the user pressed stop\)/);
    const wasDropped = await waitUntil(() => approvalFor(4004), (a) => a !== undefined && !a.agent.isWaiting);
    assert.equal(wasDropped!.status, "pending", "a dropped connection is not a cancel: the approval stays open, runs only if an agent comes back");
    assert.equal(upstream.runs(WAITING_TOOL), 0);
    await canceller.close();
    void cancelled;
  });
});

describe(`held calls while the database does not answer at all (${storageLabel()})`, () => {
  const setup = gatewayBehindProxy("gh_burst_hung", "hung-agent", 600);
  const quick = gatewayBehindProxy("gh_burst_quick", "quick-agent", 1);

  it("refuses a call whose recording gets no answer within approvals.recordTimeoutSeconds; its retry attaches to what reached the database", async () => {
    const { db, upstream, gw, token } = quick;
    const client = await gw.connect(token);
    await client.callTool({ name: ALLOWED_TOOL, arguments: { campaign_id: 1001 } });
    db.proxy.pause();
    const refused = (await client.callTool({ name: HELD_TOOL, arguments: { campaign_id: 6006, lead_id: 1 } })) as CallToolResult;
    assert.equal(refused._meta?.["gatehouse/code"], "storage_unavailable", textOf(refused));
    assert.match(textOf(refused), /cannot record the approval request right now \(its database is unavailable\)\. Nothing was run/);
    // The statement was on its way: the database runs it once it answers (a hang after sending looks the
    // same). The approval stands like one whose agent dropped the call; the agent's retry attaches to it.
    db.proxy.resume();
    const after = (await client.callTool({ name: HELD_TOOL, arguments: { campaign_id: 6006, lead_id: 1 } })) as CallToolResult;
    assert.equal(after._meta?.["gatehouse/approval_status"], "pending", textOf(after));
    const stored = await gw.instance.approvals.repo.list({ limit: 1_000 });
    assert.deepEqual(stored.map((a) => a.id), [after._meta?.["gatehouse/approval_id"]], "one approval for the call, the retry's");
    assert.equal(upstream.runs(HELD_TOOL), 0);
    await client.close();
  });

  it("refuses the calls in line as soon as one recording has failed, records nothing, and records again once the database answers", async () => {
    const { db, upstream, gw, token } = setup;
    const client = await gw.connect(token);
    await client.callTool({ name: ALLOWED_TOOL, arguments: { campaign_id: 1001 } });

    db.proxy.pause();
    const holds = Array.from({ length: BURST }, (_, i) => client.callTool({ name: HELD_TOOL, arguments: { campaign_id: 5005, lead_id: i } }) as Promise<CallToolResult>);
    const inLine = () => gw.instance.approvals.waitingToRecord();
    await waitUntil(async () => inLine(), (waiting) => waiting === BURST - RECORDING_CONCURRENCY, 30_000);
    // The recordings in flight fail (as they would at their timeout): every connection is reset.
    db.proxy.cut();
    await Promise.race(holds);
    // The first answer is out: nobody is left in line. Before, the next RECORDING_CONCURRENCY calls would
    // now be waiting on the same database, and the rest behind them, one recording timeout per turn.
    assert.equal(inLine(), 0);
    const answers = await Promise.all(holds);
    assert.deepEqual(
      [...new Set(answers.map((a) => a._meta?.["gatehouse/code"]))],
      ["storage_unavailable"],
      "every call refused, saying the database is unavailable",
    );
    assert.match(textOf(answers.at(-1)!), /cannot record the approval request right now \(its database is unavailable\)\. Nothing was run/);

    db.proxy.restore();
    db.proxy.resume();
    assert.deepEqual(await gw.instance.approvals.repo.list({ limit: 1_000 }), [], "no approval request was left behind for a refused call");
    const after = (await client.callTool({ name: HELD_TOOL, arguments: { campaign_id: 5005, lead_id: 0 } })) as CallToolResult;
    assert.equal(after._meta?.["gatehouse/approval_status"], "pending", textOf(after));
    assert.equal(upstream.runs(HELD_TOOL), 0);
    await client.close();
  });
});

/** A gateway whose database sits behind a TCP proxy the test can pause; started before the suite's tests. */
function gatewayBehindProxy(schemaPrefix: string, agent: string, recordTimeoutSeconds: number) {
  const setup = {} as { db: DatabaseBehindProxy; upstream: CountingUpstream; gw: TestGateway; token: string };
  before(async () => {
    setup.db = await openDatabaseBehindProxy(schemaPrefix);
    setup.upstream = await startCountingUpstream();
    setup.gw = await startTestGateway({
      upstreams: { smartlead: setup.upstream.config },
      policies: { smartlead: POLICY },
      databaseUrl: setup.db.url,
      schema: setup.db.schema,
      extraConfig: { approvals: { recordTimeoutSeconds } },
    });
    setup.token = await setup.gw.createToken(agent);
  });
  after(async () => {
    setup.db?.proxy.resume();
    await setup.gw?.close();
    await setup.upstream?.close();
    await setup.db?.close();
  });
  return setup;
}

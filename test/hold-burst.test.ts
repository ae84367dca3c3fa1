// A burst of calls that need approval, arriving while the database is slow. Before, every one of them
// queued for a database connection; those that waited past the pool's 5 s were refused as if the
// database were down (10,000 held at once: 3,310 refused), and an allowed call's audit commit queued
// behind all of them. Now only RECORDING_CONCURRENCY calls record their approval request at a time and
// the rest wait their turn in memory (gatehouse_approval_requests_waiting counts them): every one is
// recorded once the database answers, none refused, and an allowed call made meanwhile is not last.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { RECORDING_CONCURRENCY } from "../src/approvals/hold.ts";
import { openDatabaseBehindProxy, type DatabaseBehindProxy } from "./helpers/database-proxy.ts";
import { startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const HELD_TOOL = "smartlead_pause_lead_by_campaign";
const ALLOWED_TOOL = "smartlead_get_campaign";
const BURST = 200;
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [HELD_TOOL]: { action: "require_approval", approval: { wait: "ticket", timeout: "1h" } } } };

describe(`a burst of held calls while the database hangs (${storageLabel()})`, () => {
  let db: DatabaseBehindProxy;
  let upstream: CountingUpstream;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    db = await openDatabaseBehindProxy("gh_burst");
    upstream = await startCountingUpstream();
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, databaseUrl: db.url, schema: db.schema });
    token = await gw.createToken("burst-agent");
  });
  after(async () => {
    db?.proxy.resume();
    await gw?.close();
    await upstream?.close();
    await db?.close();
  });

  const waitingGauge = async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    return Number(/^gatehouse_approval_requests_waiting (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  it(`records all ${BURST} approval requests in turns once the database answers, none refused`, async () => {
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
    await waitUntil(waitingGauge, (waiting) => waiting === BURST - RECORDING_CONCURRENCY, 30_000);
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

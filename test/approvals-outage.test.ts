// The database goes away for a few seconds while a call is held (DESIGN §10): the held request keeps
// waiting (heartbeats go on, reads are retried), the gateway does not reap its own live instance when
// its heartbeat row lapsed, new calls are refused with a clear answer that carries no SQL, and once the
// database is back the approved call runs exactly once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { decide, nextApproval } from "./helpers/approvals.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { openDatabaseBehindProxy, type DatabaseBehindProxy } from "./helpers/database-proxy.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval" } } };
// The 3 s outage outlasts instanceStaleSeconds: this gateway's own heartbeat row goes stale meanwhile.
const APPROVALS = { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 1, heartbeatSeconds: 0.2, maxWaitSeconds: 60 };
const SQL_WORDS = /select|insert|update |relation|syntax|Failed query|ECONNRESET|ECONNREFUSED|connect/i;

describe(`a database outage while a call is held (${storageLabel()})`, () => {
  let db: DatabaseBehindProxy;
  let upstream: CountingUpstream;
  let gw: TestGateway;

  before(async () => {
    db = await openDatabaseBehindProxy("gh_outage");
    upstream = await startCountingUpstream();
    gw = await startTestGateway({
      upstreams: { smartlead: upstream.config },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: APPROVALS },
      databaseUrl: db.url,
      schema: db.schema,
    });
  });
  after(async () => {
    await gw?.close();
    await db?.close();
    await upstream?.close();
  });

  it("keeps the held request waiting through a 3 s outage, refuses new calls without SQL text, then runs the approved call once", async () => {
    const client = await gw.connect(await gw.createToken("outage-agent"));
    const before = upstream.runs(RECONNECT);
    const beats: number[] = [];
    let onBeat: (() => void) | null = null;
    const created = nextApproval(gw);
    const call = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [502] } } }, CallToolResultSchema, {
      onprogress: (p) => {
        beats.push(p.progress);
        onBeat?.();
      },
      resetTimeoutOnProgress: true,
    });
    const approval = await created;
    await waitUntil(() => gw.instance.approvals.repo.get(approval.id), (a) => a?.agent.isWaiting === true);

    db.proxy.cut();
    // Within the grant cache's few seconds the token is still known: the calls reach the gateway.
    const held = await client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    assert.equal(held.isError, true);
    assert.match(textOf(held), /cannot record the approval request right now \(its database is unavailable\)\. Nothing was run/);
    assert.doesNotMatch(textOf(held), SQL_WORDS);
    const allowed = await client.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 } });
    assert.equal(allowed.isError, true, "an allowed call cannot be audited, so it is refused");
    assert.equal(textOf(allowed), "Call refused: Gatehouse's audit log is unavailable, so the call cannot be recorded. Nothing was run; try again shortly.");
    assert.doesNotMatch(textOf(allowed), SQL_WORDS);
    // 15 heartbeats at 0.2 s: about 3 s without a database, the request still held.
    const beatsAtCut = beats.length;
    await new Promise<void>((resolve) => {
      onBeat = () => beats.length >= beatsAtCut + 15 && resolve();
    });
    onBeat = null;

    // Later still, whether the grant token is still cached (the audit refuses) or not (a 503 the SDK
    // client throws): a clear refusal without SQL.
    const refused = await client.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 } }).then(
      (result) => textOf(result),
      (error: unknown) => String(error),
    );
    assert.match(refused, /(database|audit log) is unavailable/);
    assert.doesNotMatch(refused, SQL_WORDS);

    db.proxy.restore();
    // A reaper pass right after the outage sees this gateway's heartbeat row stale: it must not reap itself.
    await waitUntil(() => gw.instance.approvals.repo.get(approval.id).catch(() => null), (a) => a !== null, 20_000);
    await gw.instance.approvals.runtime.reap();
    const during = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(during?.status, "pending", "the held call was neither cancelled nor failed");
    assert.equal(during?.agent.isWaiting, true, "its agent is still attached");

    assert.equal((await decide(gw, approval.id, "approve")).status, 200);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(upstream.runs(RECONNECT), before + 1, "ran exactly once");
    for (let i = 1; i < beats.length; i++) assert.ok(beats[i]! > beats[i - 1]!, "heartbeats kept increasing through the outage");
  });
});

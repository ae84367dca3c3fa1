// Two gateway processes' worth of gateways sharing one database: a decision taken on one releases
// the call held on the other, and the call runs once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decide, FAST_APPROVALS, nextApproval, reconnectCount } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval" } } };

// Embedded PGlite is one Postgres session for one gateway process (DESIGN §3); replicas need PostgreSQL.
const skip = process.env.DATABASE_URL ? false : "several gateways need PostgreSQL (DATABASE_URL); the embedded database serves one gateway";

describe(`several gateways on one database (${storageLabel()})`, { skip }, () => {
  let first: TestGateway;
  let second: TestGateway;

  before(async () => {
    first = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    second = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: FAST_APPROVALS, storage: { schema: first.instance.database.schema } },
      databaseUrl: first.instance.databaseUrl,
    });
  });
  after(async () => {
    await second.close();
    await first.close();
  });

  it("releases the call held on one gateway when it is approved on the other", async () => {
    const token = await first.createToken("replica-agent");
    const client = await second.connect(token);
    const before = await reconnectCount(client, 502);
    const created = nextApproval(second);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [502] } });
    const approval = await created;

    const decided = await decide(first, approval.id, "approve");
    assert.equal(decided.status, 200);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(await reconnectCount(client, 502), before + 1, "ran once, on the gateway holding the request");
    assert.equal((await first.instance.approvals.repo.get(approval.id))?.status, "succeeded");
  });

  it("answers the agents waiting on a gateway that stops, keeps their approvals open, and runs them once for the retry on the other", async () => {
    const token = await first.createToken("stopping-agent");
    const third = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: FAST_APPROVALS, storage: { schema: first.instance.database.schema } },
      databaseUrl: first.instance.databaseUrl,
    });
    const client = await third.connect(token);
    const created = nextApproval(third);
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    const approval = await created;
    await waitUntil(() => third.instance.approvals.repo.get(approval.id), (a) => a?.agent.isWaiting === true);
    await third.instance.close(); // the gateway stops; its client is still connected
    const answer = await call;
    await third.close();
    assert.equal(answer._meta?.["gatehouse/approval_status"], "pending", "the stopping gateway answered its waiting agent");
    assert.match(textOf(answer), /Gatehouse is restarting; nothing was lost\. .*has NOT run/);
    const left = await first.instance.approvals.repo.get(approval.id);
    assert.equal(left?.agent.isWaiting, false, "the stopping gateway recorded that its agent left (before any reaper ran)");
    await first.instance.approvals.runtime.reap();
    const open = await first.instance.approvals.repo.get(approval.id);
    assert.equal(open?.status, "pending", "a gateway stopping is not a cancel");
    assert.equal(open?.agent.isWaiting, false);

    assert.equal((await decide(first, approval.id, "approve")).status, 200);
    const retry = await first.connect(token);
    const before = await reconnectCount(retry, 503);
    const result = await retry.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(await reconnectCount(retry, 503), before + 1);
  });
});

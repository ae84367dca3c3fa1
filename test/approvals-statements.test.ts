// The statements that record every held call and append every audit batch are named on PostgreSQL
// (prepared once per connection, then run from cached plans: planning the first cost PostgreSQL more
// than running it) and unnamed on the embedded PGlite, whose socket connections share one session and
// so one namespace of statement names.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createApprovalRepository } from "../src/approvals/index.ts";
import { createAuditWriter } from "../src/audit/index.ts";
import { connectDatabase, type Database } from "../src/db/index.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const TOOL = "smartlead_reconnect_failed_email_accounts";
const isEmbedded = !process.env.DATABASE_URL;

/** An approval request as the hold handler records it, for a call nobody made before. */
const newRequest = () => ({
  id: randomUUID(),
  callId: randomUUID(),
  expiresAt: new Date(Date.now() + 10 * 60_000),
  upstream: "smartlead",
  tool: TOOL,
  exposedTool: TOOL,
  argsSealed: null,
  argsRedacted: { email_account_ids: [501] },
  argsHash: randomBytes(32).toString("hex"),
  grantName: "agent",
  grantOwner: null,
  sessionId: "statements-test",
  spec: { channel: null, approvers: [], minApprovals: 1, allowSelfApproval: false, wait: "ticket" as const, timeout: "10m" },
  holdMode: "ticket" as const,
});

describe(`the statement recording a held call (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;
  const extra: Database[] = [];
  /** A second pool on the gateway's database and schema, `connections` wide. */
  const connectAgain = (connections: number) => {
    const database = connectDatabase(gw.instance.databaseUrl, { schema: gw.instance.database.schema, max: connections });
    database.namesStatements = gw.instance.database.namesStatements;
    extra.push(database);
    return database;
  };

  before(async () => {
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: { version: "1", default: "deny", tools: { [TOOL]: { action: "require_approval", approval: { wait: "ticket" } } } } },
    });
    token = await gw.createToken("agent");
  });
  after(async () => {
    for (const database of extra) await database.close();
    await gw?.close();
  });

  it("is named on PostgreSQL and not on the embedded database", async () => {
    assert.equal(gw.instance.database.namesStatements, !isEmbedded);
    const client = await gw.connect(token);
    const result = await client.callTool({ name: TOOL, arguments: { email_account_ids: [7] } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /approval/i);
  });

  it("concurrent holds on several connections are each recorded once", async () => {
    const database = connectAgain(3);
    const repo = createApprovalRepository(database);
    const opened = await Promise.all(Array.from({ length: 12 }, () => repo.openOrFind(newRequest(), 0, 5_000)));
    assert.deepEqual(opened.map((o) => o?.isNew), Array(12).fill(true));
    const ids = opened.map((o) => o!.approval.id);
    const stored = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM approvals WHERE id = ANY($1::uuid[])", [ids]);
    assert.equal(stored.rows[0]!.n, 12);
    const named = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'gatehouse_open_or_find'");
    assert.equal(named.rows[0]!.n > 0, !isEmbedded);
  });

  it("so is the call that appends an audit batch", async () => {
    const database = connectAgain(1);
    const writer = createAuditWriter({ database });
    await writer.record({ event: { type: "test.named", actor: "system", data: {} } });
    await writer.close();
    const named = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'gatehouse_append_audit'");
    assert.equal(named.rows[0]!.n, isEmbedded ? 0 : 1);
  });

  it("storage.preparedStatements false leaves it unnamed, and holds are recorded the same", async () => {
    const unnamed = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: { version: "1", default: "deny", tools: { [TOOL]: { action: "require_approval", approval: { wait: "ticket" } } } } },
      extraConfig: { storage: { schema: gw.instance.database.schema, preparedStatements: false } },
    });
    try {
      assert.equal(unnamed.instance.database.namesStatements, false);
      const client = await unnamed.connect(await unnamed.createToken("agent-2"));
      const result = await client.callTool({ name: TOOL, arguments: { email_account_ids: [8] } });
      assert.match(textOf(result), /approval/i);
    } finally {
      await unnamed.close();
    }
  });

  // PGlite has one session: there is no backend of a connection to end.
  if (!isEmbedded) it("a connection PostgreSQL ended is replaced, and both statements prepared again on the new one", async () => {
    const database = connectAgain(1);
    const repo = createApprovalRepository(database);
    const writer = createAuditWriter({ database });
    assert.equal((await repo.openOrFind(newRequest(), 0, 5_000))?.isNew, true);
    await writer.record({ event: { type: "test.before_end", actor: "system", data: {} } });
    const before = await database.pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    await gw.instance.database.pool.query("SELECT pg_terminate_backend($1)", [before.rows[0]!.pid]);
    // The pool learns the connection is gone with the first query on it, which fails and discards it.
    await database.pool.query("SELECT 1").catch(() => {});
    const again = await repo.openOrFind(newRequest(), 0, 5_000);
    assert.equal(again?.isNew, true);
    await writer.record({ event: { type: "test.after_end", actor: "system", data: {} } });
    await writer.close();
    const after = await database.pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    assert.notEqual(after.rows[0]!.pid, before.rows[0]!.pid);
    const named = await database.pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'gatehouse_%' ORDER BY name");
    assert.deepEqual(named.rows.map((r) => r.name), ["gatehouse_append_audit", "gatehouse_open_or_find"]);
  });
});

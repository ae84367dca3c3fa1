// The Postgres TaskStore and ledger on the storage this run targets (embedded PGlite, or DATABASE_URL).
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createPostgresTaskStore, createTaskLedger, effectiveTtl, TASK_DEFAULTS, type PostgresTaskStore, type TaskLedger } from "../src/tasks/index.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

const call = (name = "smartlead_reconnect_failed_email_accounts") => ({ method: "tools/call", params: { name, arguments: { secret: "s3cr3t" } } });
const ok = (text: string): CallToolResult => ({ content: [{ type: "text", text }] });

let testDb: TestDatabase;
let ledger: TaskLedger;
let grantCounter = 0;

function storeFor(grantName = `agent-${++grantCounter}`, options = {}): PostgresTaskStore {
  return createPostgresTaskStore(testDb.database, { grantName }, options);
}

before(async () => {
  testDb = await openTestDatabase({ schemaPrefix: "gh_tasks" });
  ledger = createTaskLedger(testDb.database);
});
after(async () => {
  await testDb?.close();
});

describe("createTask / getTask", () => {
  it("creates a working task with the status message, ttl and poll interval, readable from any session of the grant", async () => {
    const store = storeFor(undefined, { pollIntervalMs: 750 });
    const approvalId = randomUUID();
    const task = await store.createTask({ ttl: 120_000, context: { statusMessage: "awaiting approval in #approvals", approvalId } }, 1, call(), "session-a");
    assert.equal(task.status, "working");
    assert.equal(task.statusMessage, "awaiting approval in #approvals");
    assert.equal(task.ttl, 120_000);
    assert.equal(task.pollInterval, 750);
    assert.ok(!Number.isNaN(Date.parse(task.createdAt)));
    assert.equal(task.lastUpdatedAt, task.createdAt);

    assert.deepEqual(await store.getTask(task.taskId, "session-b"), task);
    assert.deepEqual(await store.getTask(task.taskId), task);
    const found = await store.findTask(task.taskId);
    assert.equal(found?.approvalId, approvalId);
    assert.equal(found?.grantName, store.grantName);
  });

  it("does not copy the call's arguments into the task row", async () => {
    const store = storeFor();
    const task = await store.createTask({}, "req-7", call("smartlead_get_campaign"), "session-a");
    const { rows } = await testDb.database.pool.query<{ request: unknown }>("SELECT request FROM mcp_tasks WHERE id = $1", [task.taskId]);
    assert.deepEqual(rows[0]?.request, { method: "tools/call", tool: "smartlead_get_campaign", requestId: "req-7", sessionId: "session-a" });
  });

  it("returns null for an unknown task", async () => {
    assert.equal(await storeFor().getTask(randomUUID()), null);
  });
});

describe("ttl", () => {
  const limits = { defaultTtlMs: 60_000, maxTtlMs: 600_000 };
  const cases: Array<[string, number | null | undefined, number | undefined, number]> = [
    ["no request → default", undefined, undefined, 60_000],
    ["request within limits is kept", 90_000, undefined, 90_000],
    ["request above the cap is capped", 9_000_000, undefined, 600_000],
    ["null (unlimited) → the cap", null, undefined, 600_000],
    ["nonsense → default", -5, undefined, 60_000],
    ["raised to what the hold needs", 10_000, 900_000, 900_000],
    ["hold need below the request changes nothing", 90_000, 30_000, 90_000],
  ];
  for (const [name, requested, minTtl, expected] of cases) {
    it(`effectiveTtl: ${name}`, () => assert.equal(effectiveTtl(requested, minTtl, limits), expected));
  }

  it("the store applies its limits and the minimum from the context", async () => {
    const store = storeFor(undefined, limits);
    assert.equal((await store.createTask({ ttl: 10 ** 9 }, 1, call())).ttl, 600_000);
    assert.equal((await store.createTask({ ttl: 1_000, context: { minTtlMs: 900_000 } }, 2, call())).ttl, 900_000);
    assert.equal((await store.createTask({}, 3, call())).ttl, limits.defaultTtlMs);
    assert.equal((await storeFor().createTask({}, 4, call())).ttl, TASK_DEFAULTS.defaultTtlMs);
  });

  it("an expired task disappears from get, list, result and updates, and purge reclaims it", async () => {
    const store = storeFor();
    const short = await store.createTask({ ttl: 300 }, 1, call());
    const long = await store.createTask({ ttl: 60_000 }, 2, call());
    await store.storeTaskResult(short.taskId, "completed", ok("done"));
    assert.equal((await store.getTask(short.taskId))?.status, "completed");
    await sleep(500);

    assert.equal(await store.getTask(short.taskId), null);
    assert.deepEqual((await store.listTasks()).tasks.map((t) => t.taskId), [long.taskId]);
    await assert.rejects(store.getTaskResult(short.taskId), /Task not found/);
    await assert.rejects(store.updateTaskStatus(short.taskId, "cancelled"), /Task not found/);
    assert.equal(await ledger.completeTask(short.taskId, "completed", ok("late")), false);

    assert.ok((await ledger.purgeExpiredTasks()) >= 1);
    const { rows } = await testDb.database.pool.query("SELECT 1 FROM mcp_tasks WHERE id = $1", [short.taskId]);
    assert.equal(rows.length, 0);
    assert.notEqual(await store.getTask(long.taskId), null);
  });
});

describe("status transitions", () => {
  it("working → input_required → working → completed, then final", async () => {
    const store = storeFor();
    const { taskId } = await store.createTask({ context: { statusMessage: "awaiting approval" } }, 1, call());
    await store.updateTaskStatus(taskId, "input_required", "needs input");
    assert.equal((await store.getTask(taskId))?.status, "input_required");
    await store.updateTaskStatus(taskId, "working");
    const working = await store.getTask(taskId);
    assert.equal(working?.status, "working");
    assert.equal(working?.statusMessage, "needs input", "a status change without a message keeps the last one");

    await store.storeTaskResult(taskId, "completed", ok("reconnected 3 accounts"));
    const done = await store.getTask(taskId);
    assert.equal(done?.status, "completed");
    assert.ok(Date.parse(done!.lastUpdatedAt) >= Date.parse(done!.createdAt));
    assert.deepEqual(await store.getTaskResult(taskId), ok("reconnected 3 accounts"));

    await assert.rejects(store.updateTaskStatus(taskId, "working"), /already completed.*final/);
    await assert.rejects(store.updateTaskStatus(taskId, "cancelled"), /already completed/);
    await assert.rejects(store.storeTaskResult(taskId, "failed", ok("again")), /already completed/);
    assert.equal(await ledger.completeTask(taskId, "failed", ok("executor late")), false);
    assert.deepEqual(await store.getTaskResult(taskId), ok("reconnected 3 accounts"));
  });

  it("getTaskResult explains a task that has no result yet, or ended without one", async () => {
    const store = storeFor();
    const { taskId } = await store.createTask({ context: { statusMessage: "awaiting approval in #approvals" } }, 1, call());
    await assert.rejects(store.getTaskResult(taskId), /still working \(awaiting approval in #approvals\); its result is available once it completes/);
    await store.updateTaskStatus(taskId, "cancelled", "gateway shut down");
    await assert.rejects(store.getTaskResult(taskId), /ended as cancelled without a result \(gateway shut down\)/);
  });

  it("a failed task keeps its isError result", async () => {
    const store = storeFor();
    const { taskId } = await store.createTask({}, 1, call());
    const denied: CallToolResult = { content: [{ type: "text", text: "Denied by <@U1>: not today" }], isError: true };
    assert.equal(await ledger.completeTask(taskId, "failed", denied, "denied by <@U1>"), true);
    const task = await store.getTask(taskId);
    assert.equal(task?.status, "failed");
    assert.equal(task?.statusMessage, "denied by <@U1>");
    assert.deepEqual(await store.getTaskResult(taskId), denied);
  });

  it("cancelTask: first ending wins", async () => {
    const store = storeFor();
    const { taskId } = await store.createTask({}, 1, call());
    const cancelled = await store.cancelTask(taskId, "Cancelled by the client.", { content: [{ type: "text", text: "Cancelled by the client." }], isError: true });
    assert.equal(cancelled.kind, "cancelled");
    assert.equal(await ledger.completeTask(taskId, "completed", ok("executed anyway")), false);
    const again = await store.cancelTask(taskId, "twice");
    assert.equal(again.kind, "already_final");
    assert.equal((await store.getTask(taskId))?.statusMessage, "Cancelled by the client.");
    assert.equal((await store.cancelTask(randomUUID(), "x")).kind, "not_found");
  });
});

describe("grant scoping", () => {
  it("another grant cannot see, list, read or change the task", async () => {
    const mine = storeFor("grant-mine");
    const theirs = storeFor("grant-theirs");
    const { taskId } = await mine.createTask({}, 1, call(), "session-1");
    await mine.storeTaskResult(taskId, "completed", ok("secret result"));

    assert.equal(await theirs.getTask(taskId, "session-1"), null);
    assert.equal(await theirs.findTask(taskId), null);
    assert.deepEqual((await theirs.listTasks()).tasks, []);
    await assert.rejects(theirs.getTaskResult(taskId), /Task not found/);
    const open = await mine.createTask({}, 2, call());
    await assert.rejects(theirs.updateTaskStatus(open.taskId, "cancelled"), /Task not found/);
    assert.equal((await theirs.cancelTask(open.taskId, "nope")).kind, "not_found");
    assert.equal((await mine.getTask(open.taskId))?.status, "working");

    const again = storeFor("grant-mine");
    assert.deepEqual(await again.getTaskResult(taskId), ok("secret result"));
  });
});

describe("listTasks pagination", () => {
  it("pages newest first with opaque cursors, no task twice, none skipped", async () => {
    const store = storeFor(undefined, { pageSize: 3 });
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await store.createTask({}, i, call())).taskId);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listTasks(cursor);
      pageSizes.push(page.tasks.length);
      seen.push(...page.tasks.map((t) => t.taskId));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(pageSizes, [3, 3, 1]);
    // Tasks created within one clock tick share created_at; the order among them is the id tiebreak.
    assert.equal(new Set(seen).size, created.length, "no task twice");
    assert.deepEqual([...seen].sort(), [...created].sort(), "none skipped");
    const times = await Promise.all(seen.map(async (id) => Date.parse((await store.getTask(id))!.createdAt)));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
  });

  it("keeps order among tasks created in the same transaction (same created_at)", async () => {
    const store = storeFor(undefined, { pageSize: 2 });
    const grantName = store.grantName;
    await testDb.database.pool.query(
      `INSERT INTO mcp_tasks (id, grant_name, status, ttl_ms) SELECT 'same-' || g, $1, 'working', 60000 FROM generate_series(1, 5) g`,
      [grantName],
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listTasks(cursor);
      seen.push(...page.tasks.map((t) => t.taskId));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ["same-5", "same-4", "same-3", "same-2", "same-1"]);
  });

  it("an exact page has no nextCursor; a bad cursor is a clear error", async () => {
    const store = storeFor(undefined, { pageSize: 2 });
    await store.createTask({}, 1, call());
    await store.createTask({}, 2, call());
    const page = await store.listTasks();
    assert.equal(page.tasks.length, 2);
    assert.equal(page.nextCursor, undefined);
    await assert.rejects(store.listTasks("not-a-cursor"), /Invalid cursor/);
  });
});

describe("ledger", () => {
  it("links a task to its approval, finds it from any process, completes it for the grant's store to read", async () => {
    const store = storeFor();
    const { taskId } = await store.createTask({ context: { statusMessage: "awaiting approval in #approvals" } }, 1, call());
    const approvalId = randomUUID();
    assert.deepEqual(await ledger.findTasksByApproval(approvalId), []);
    assert.equal(await ledger.linkTaskToApproval(taskId, approvalId), true);

    const [found] = await ledger.findTasksByApproval(approvalId);
    assert.equal(found?.taskId, taskId);
    assert.equal(found?.grantName, store.grantName);
    assert.equal(found?.status, "working");

    assert.equal(await ledger.setStatusMessage(taskId, "approved by <@U1>; running"), true);
    assert.equal((await store.getTask(taskId))?.statusMessage, "approved by <@U1>; running");

    assert.equal(await ledger.completeTask(taskId, "completed", ok("3 accounts reconnected"), "approved by <@U1>; ran in 1.2 s"), true);
    const done = await store.getTask(taskId);
    assert.equal(done?.status, "completed");
    assert.equal(done?.statusMessage, "approved by <@U1>; ran in 1.2 s");
    assert.deepEqual(await store.getTaskResult(taskId), ok("3 accounts reconnected"));

    assert.equal(await ledger.setStatusMessage(taskId, "too late"), false);
    assert.equal(await ledger.linkTaskToApproval(taskId, randomUUID()), false);
    assert.equal(await ledger.completeTask(randomUUID(), "completed", ok("nobody")), false);
  });
});

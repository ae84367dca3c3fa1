// MCP tasks end to end: the real SDK Client over Streamable HTTP against a low-level SDK Server wired
// with src/tasks, on an express app on an ephemeral port, backed by the storage this run targets.
// The approval side is played by the test: it completes tasks through the ledger, as the executor will.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CreateTaskResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import express from "express";
import { connectDatabase, type Database } from "../src/db/index.ts";
import { GatewayError } from "../src/errors.ts";
import {
  createFinishedTask,
  createPostgresTaskStore,
  createTaskForCall,
  createTaskLedger,
  installTaskCancellation,
  isTaskRequested,
  MODEL_IMMEDIATE_RESPONSE_META_KEY,
  taskServerOptions,
  type GatewayTask,
} from "../src/tasks/index.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

const TOOL = "smartlead_reconnect_failed_email_accounts";
const ALLOWED_TOOL = "smartlead_get_campaign";
const TOKENS: Record<string, string> = { "token-agent": "agent-1", "token-other": "agent-2" };
const HOLD_MS = 15 * 60_000;

interface HeldCall {
  taskId: string;
  approvalId: string;
  grantName: string;
}

interface TaskServer {
  url: string;
  held: HeldCall[];
  cancelled: GatewayTask[];
  /** Makes the next cancel hook throw this (approval store down). */
  failNextCancel(error: Error): void;
  close(): Promise<void>;
}

// A stand-in for src/proxy/server.ts: one SDK Server per session, bound to the grant of its token.
async function startTaskServer(database: Database): Promise<TaskServer> {
  const held: HeldCall[] = [];
  const cancelled: GatewayTask[] = [];
  let cancelFailure: Error | null = null;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const servers: Server[] = [];

  const app = express();
  app.use(express.json());
  app.all("/mcp", async (req, res) => {
    const grantName = TOKENS[(req.header("authorization") ?? "").replace(/^Bearer /, "")];
    if (!grantName) return void res.status(401).end();
    const sessionId = req.header("mcp-session-id");
    if (sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport) return void res.status(404).end();
      return void (await transport.handleRequest(req, res, req.body));
    }
    const store = createPostgresTaskStore(database, { grantName }, { pollIntervalMs: 100 });
    const tasks = taskServerOptions(store, { pollIntervalMs: 100 });
    const server = new Server({ name: "gatehouse-test", version: "0.0.0" }, { ...tasks, capabilities: { tools: {}, ...tasks.capabilities } });
    servers.push(server);
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: TOOL, inputSchema: { type: "object" }, execution: { taskSupport: "optional" } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      if (!isTaskRequested(request)) return { content: [{ type: "text", text: "held request (no task asked for)" }] };
      if (request.params.name === ALLOWED_TOOL) return createFinishedTask(store, request, extra, { content: [{ type: "text", text: "campaign 7" }] }, "allowed by /tools/smartlead_get_*");
      const approvalId = randomUUID();
      const created = await createTaskForCall(store, request, extra, { statusMessage: "awaiting approval in #approvals", approvalId, minTtlMs: HOLD_MS });
      held.push({ taskId: created.task.taskId, approvalId, grantName });
      return created;
    });
    installTaskCancellation(server, store, async (task) => {
      if (cancelFailure) {
        const error = cancelFailure;
        cancelFailure = null;
        throw error;
      }
      cancelled.push(task);
      return { statusMessage: `Cancelled by the client; approval ${task.approvalId} cancelled, nothing was executed.` };
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  const http: HttpServer = app.listen(0, "127.0.0.1");
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    held,
    cancelled,
    failNextCancel: (error) => void (cancelFailure = error),
    async close() {
      await Promise.all(servers.map((s) => s.close().catch(() => {})));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function connect(server: TaskServer, token: string): Promise<Client> {
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  openClients.push(client);
  return client;
}

async function callAsTask(client: Client, ttl = 60_000) {
  return client.request({ method: "tools/call", params: { name: TOOL, arguments: { email_account_ids: [1, 2, 3] }, task: { ttl } } }, CreateTaskResultSchema);
}

async function mcpErrorOf(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => assert.fail("expected an MCP error"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof McpError, `expected McpError, got ${String(error)}`);
  return error;
}

const ok = (text: string): CallToolResult => ({ content: [{ type: "text", text }] });

let testDb: TestDatabase;
let server: TaskServer;
const openClients: Client[] = [];

before(async () => {
  testDb = await openTestDatabase({ schemaPrefix: "gh_tasks_proto" });
  server = await startTaskServer(testDb.database);
});
after(async () => {
  await Promise.all(openClients.map((c) => c.close().catch(() => {})));
  await server?.close();
  await testDb?.close();
});

describe("task-augmented tools/call", () => {
  it("answers at once with a working task; tasks/result blocks until the approval side completes it", async () => {
    const client = await connect(server, "token-agent");
    const { task, _meta } = await callAsTask(client);
    assert.equal(task.status, "working");
    assert.equal(task.statusMessage, "awaiting approval in #approvals");
    assert.equal(task.ttl, HOLD_MS, "the gateway raises the client's ttl so the task outlives the hold");
    assert.equal(task.pollInterval, 100);
    assert.match(String(_meta?.[MODEL_IMMEDIATE_RESPONSE_META_KEY]), /awaiting approval in #approvals/);

    const polled = await client.experimental.tasks.getTask(task.taskId);
    assert.equal(polled.status, "working");

    let settled = false;
    const resultPromise = client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema).finally(() => (settled = true));
    await sleep(400);
    assert.equal(settled, false, "tasks/result must block while the task is working");

    const heldCall = server.held.find((h) => h.taskId === task.taskId)!;
    const ledger = createTaskLedger(testDb.database);
    const [found] = await ledger.findTasksByApproval(heldCall.approvalId);
    assert.equal(found?.taskId, task.taskId);
    assert.equal(await ledger.completeTask(found.taskId, "completed", ok("Reconnected 3 email accounts"), "approved by <@U1>"), true);

    const result = await resultPromise;
    assert.deepEqual(result.content, [{ type: "text", text: "Reconnected 3 email accounts" }]);
    assert.deepEqual(result._meta?.[RELATED_TASK_META_KEY], { taskId: task.taskId });
    const done = await client.experimental.tasks.getTask(task.taskId);
    assert.equal(done.status, "completed");
    assert.equal(done.statusMessage, "approved by <@U1>");

    const listed = await client.experimental.tasks.listTasks();
    assert.ok(listed.tasks.some((t) => t.taskId === task.taskId && t.status === "completed"));
  });

  it("callToolStream (tool advertises taskSupport: optional) yields the task, its status, then the result", async () => {
    const client = await connect(server, "token-agent");
    await client.listTools(); // the client learns which tools take tasks from tools/list
    const ledger = createTaskLedger(testDb.database);
    const kinds: string[] = [];
    let result: CallToolResult | undefined;
    for await (const message of client.experimental.tasks.callToolStream({ name: TOOL, arguments: {} })) {
      kinds.push(message.type);
      if (message.type === "taskCreated") {
        assert.equal(message.task.statusMessage, "awaiting approval in #approvals");
        setTimeout(() => void ledger.completeTask(message.task.taskId, "completed", ok("done after approval")), 250);
      }
      if (message.type === "result") result = message.result as CallToolResult;
      if (message.type === "error") throw message.error;
    }
    assert.equal(kinds[0], "taskCreated");
    assert.ok(kinds.includes("taskStatus"));
    assert.equal(kinds.at(-1), "result");
    assert.deepEqual(result?.content, [{ type: "text", text: "done after approval" }]);
  });

  it("a denied call ends failed: tasks/result returns the isError result; SDK 1.32 callToolStream only says 'failed'", async () => {
    const client = await connect(server, "token-agent");
    await client.listTools();
    const ledger = createTaskLedger(testDb.database);
    const denied: CallToolResult = { content: [{ type: "text", text: "Denied by <@U2>: not during the campaign" }], isError: true };
    let taskId = "";
    let streamError: unknown;
    for await (const message of client.experimental.tasks.callToolStream({ name: TOOL, arguments: {} })) {
      if (message.type === "taskCreated") {
        taskId = message.task.taskId;
        await ledger.completeTask(taskId, "failed", denied, "Denied by <@U2>: not during the campaign");
      }
      if (message.type === "taskStatus" && message.task.status === "failed") assert.equal(message.task.statusMessage, "Denied by <@U2>: not during the campaign");
      if (message.type === "error") streamError = message.error;
    }
    assert.match(String(streamError), /failed/);
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, denied.content);
  });

  it("a task-augmented call that is not held still gets a task, already ended with its result", async () => {
    const client = await connect(server, "token-agent");
    const { task } = await client.request({ method: "tools/call", params: { name: ALLOWED_TOOL, arguments: { campaign_id: 7 }, task: {} } }, CreateTaskResultSchema);
    assert.equal(task.status, "working", "spec: tasks begin working");
    const polled = await client.experimental.tasks.getTask(task.taskId);
    assert.equal(polled.status, "completed");
    assert.equal(polled.statusMessage, "allowed by /tools/smartlead_get_*");
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    assert.deepEqual(result.content, [{ type: "text", text: "campaign 7" }]);
  });

  it("a call without task augmentation is answered normally", async () => {
    const client = await connect(server, "token-agent");
    const result = await client.callTool({ name: TOOL, arguments: {} });
    assert.deepEqual(result.content, [{ type: "text", text: "held request (no task asked for)" }]);
  });
});

describe("scoping by grant", () => {
  it("another grant's client cannot get, read, list or cancel the task", async () => {
    const mine = await connect(server, "token-agent");
    const theirs = await connect(server, "token-other");
    const { task } = await callAsTask(mine);

    assert.equal((await mcpErrorOf(theirs.experimental.tasks.getTask(task.taskId))).code, ErrorCode.InvalidParams);
    assert.equal((await mcpErrorOf(theirs.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema))).code, ErrorCode.InvalidParams);
    assert.equal((await mcpErrorOf(theirs.experimental.tasks.cancelTask(task.taskId))).code, ErrorCode.InvalidParams);
    assert.ok(!(await theirs.experimental.tasks.listTasks()).tasks.some((t) => t.taskId === task.taskId));
    assert.equal((await mine.experimental.tasks.getTask(task.taskId)).status, "working");
    assert.equal(server.cancelled.length, 0);
  });
});

describe("tasks/cancel", () => {
  it("cancels the approval through the hook, then shows the task cancelled; the executor can no longer complete it", async () => {
    const client = await connect(server, "token-agent");
    const { task } = await callAsTask(client);
    const heldCall = server.held.find((h) => h.taskId === task.taskId)!;

    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    assert.equal(cancelled.status, "cancelled");
    assert.equal(cancelled.statusMessage, `Cancelled by the client; approval ${heldCall.approvalId} cancelled, nothing was executed.`);
    assert.equal(cancelled.taskId, task.taskId);
    assert.equal((cancelled as Record<string, unknown>).approvalId, undefined, "internal fields stay off the wire");

    const hooked = server.cancelled.filter((t) => t.taskId === task.taskId);
    assert.equal(hooked.length, 1);
    assert.equal(hooked[0]?.approvalId, heldCall.approvalId);
    assert.equal(hooked[0]?.grantName, "agent-1");

    assert.equal((await client.experimental.tasks.getTask(task.taskId)).status, "cancelled");
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    assert.equal(result.isError, true);
    assert.match(JSON.stringify(result.content), /nothing was executed/);

    assert.equal(await createTaskLedger(testDb.database).completeTask(task.taskId, "completed", ok("ran anyway")), false);
    const again = await mcpErrorOf(client.experimental.tasks.cancelTask(task.taskId));
    assert.equal(again.code, ErrorCode.InvalidParams);
    assert.equal(again.message, `MCP error -32602: Cannot cancel task ${task.taskId}: it is already cancelled.`);
    assert.equal(server.cancelled.filter((t) => t.taskId === task.taskId).length, 1, "a final task does not reach the hook");
  });

  it("when the hook fails the task stays working and the client gets an error without internals", async () => {
    const client = await connect(server, "token-agent");
    const { task } = await callAsTask(client);
    server.failNextCancel(new GatewayError("storage_unavailable", "approval store unavailable", { retryable: true }));
    const error = await mcpErrorOf(client.experimental.tasks.cancelTask(task.taskId));
    assert.equal(error.code, ErrorCode.InternalError);
    assert.match(error.message, /Could not cancel task .*: Gatehouse's database is unavailable\. It is still working; try again/);
    assert.equal((await client.experimental.tasks.getTask(task.taskId)).status, "working");

    server.failNextCancel(new Error("connect ECONNREFUSED 10.0.0.7:5432"));
    const hidden = await mcpErrorOf(client.experimental.tasks.cancelTask(task.taskId));
    assert.doesNotMatch(hidden.message, /ECONNREFUSED/);
    assert.match(hidden.message, /Internal gateway error/);
    assert.equal(server.cancelled.filter((t) => t.taskId === task.taskId).length, 0);
  });

  it("a completed task cannot be cancelled (-32602)", async () => {
    const client = await connect(server, "token-agent");
    const { task } = await callAsTask(client);
    await createTaskLedger(testDb.database).completeTask(task.taskId, "completed", ok("done"));
    const error = await mcpErrorOf(client.experimental.tasks.cancelTask(task.taskId));
    assert.equal(error.code, ErrorCode.InvalidParams);
    assert.match(error.message, /already completed/);
  });
});

describe("gateway restart", () => {
  it("a new server and a new session of the same grant still reach finished and open tasks", async () => {
    const before = await connect(server, "token-agent");
    const finished = (await callAsTask(before)).task;
    await createTaskLedger(testDb.database).completeTask(finished.taskId, "completed", ok("finished before the restart"));
    const open = (await callAsTask(before)).task;
    const openApproval = server.held.find((h) => h.taskId === open.taskId)!.approvalId;

    await before.close();
    await server.close();
    // Nothing in memory survives: a new pool, new stores, new Server, new HTTP listener.
    const freshDatabase = connectDatabase(testDb.database.pool.options.connectionString!, { schema: testDb.database.schema });
    try {
      server = await startTaskServer(freshDatabase);
      const after = await connect(server, "token-agent");

      const finishedNow = await after.experimental.tasks.getTask(finished.taskId);
      assert.equal(finishedNow.status, "completed");
      const finishedResult = await after.experimental.tasks.getTaskResult(finished.taskId, CallToolResultSchema);
      assert.deepEqual(finishedResult.content, [{ type: "text", text: "finished before the restart" }]);

      assert.equal((await after.experimental.tasks.getTask(open.taskId)).status, "working");
      const pending = after.experimental.tasks.getTaskResult(open.taskId, CallToolResultSchema);
      const ledger = createTaskLedger(freshDatabase);
      const [found] = await ledger.findTasksByApproval(openApproval);
      assert.equal(found?.taskId, open.taskId);
      await ledger.completeTask(open.taskId, "completed", ok("approved after the restart"));
      assert.deepEqual((await pending).content, [{ type: "text", text: "approved after the restart" }]);

      const listed = (await after.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
      assert.ok(listed.includes(finished.taskId) && listed.includes(open.taskId));
    } finally {
      await Promise.all(openClients.splice(0).map((c) => c.close().catch(() => {})));
      await server.close();
      server = await startTaskServer(testDb.database);
      await freshDatabase.close();
    }
  });
});

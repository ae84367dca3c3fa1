// README, "Protocol revisions": one /mcp endpoint serves clients of 2025-11-25 (and earlier, with sessions)
// and of 2026-07-28 (stateless: no initialize, the version and capabilities in every request's _meta). A
// client of each kind, side by side: the same tools, the same policy, the same holds. The 2026-07-28
// client is the TypeScript SDK v2's (@modelcontextprotocol/client), not ours.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdioTransport } from "@modelcontextprotocol/client/stdio";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { TASK_CANCEL_REASON } from "../src/approvals/index.ts";
import { ADMIN_TOKEN, decide, nextApproval, reconnectApprovalFor } from "./helpers/approvals.ts";
import { gatewayTargets } from "./helpers/clients.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { startConformanceServer } from "./helpers/conformance.ts";
import { startModernUpstream, type ModernUpstream } from "./helpers/modern-upstream.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } } } };
const APPROVALS = { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 2, heartbeatSeconds: 0.5, maxWaitSeconds: 1, grants: { "modern-waiting": { maxWaitSeconds: 30 } } };
const ENVELOPE = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };

describe(`protocol revisions 2025-11-25 and 2026-07-28 side by side (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let gw: TestGateway;
  let waitingToken: string;
  let retryingToken: string;
  let dir: string;
  const opened: Array<{ close(): Promise<void> }> = [];
  const runs = () => upstream.runs(RECONNECT);

  before(async () => {
    upstream = await startCountingUpstream();
    // A real data directory: a `gatehouse stdio` child joins this gateway's database.
    dir = await mkdtemp(join(tmpdir(), "gatehouse-revisions-"));
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, extraConfig: { approvals: APPROVALS }, dir });
    waitingToken = await gw.createToken("modern-waiting");
    retryingToken = await gw.createToken("modern-retrying");
  });
  after(async () => {
    await Promise.all(opened.map((c) => c.close().catch(() => {})));
    await gw?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function modernClient(token: string, name = "sdk-v2-agent"): Promise<{ client: ModernClient; transport: ModernTransport }> {
    const transport = new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new ModernClient({ name, version: "2.4.0" }, { versionNegotiation: { mode: "auto" } });
    await client.connect(transport);
    opened.push(client);
    return { client, transport };
  }

  async function legacyClient(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: "sdk-v1-agent", version: "1.32.2" });
    await client.connect(transport);
    opened.push(client);
    return { client, transport };
  }

  const post = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(body),
    });

  it("a v2 SDK client negotiates 2026-07-28 (server/discover), a v1 client 2025-11-25 (initialize), and both see the same tools", async () => {
    const modern = await modernClient(retryingToken);
    const legacy = await legacyClient(retryingToken);
    assert.equal(modern.transport.protocolVersion, "2026-07-28");
    assert.equal(legacy.transport.protocolVersion, "2025-11-25");
    assert.equal(modern.client.getServerVersion()?.name, "gatehouse");
    const names = async (client: { listTools(): Promise<{ tools: Array<{ name: string }> }> }) => (await client.listTools()).tools.map((t) => t.name).sort();
    const modernTools = await names(modern.client);
    assert.deepEqual(modernTools, await names(legacy.client));
    assert.ok(modernTools.includes(RECONNECT) && modernTools.includes("smartlead_get_campaign"));
    assert.ok(!modernTools.includes("smartlead_delete_campaign"), "a tool the policy denies is not listed to either");
  });

  it("answers server/discover with both revisions' place: 2026-07-28 supported, the gateway named", async () => {
    const response = await post(retryingToken, { jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: ENVELOPE } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "server/discover" });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { result: { supportedVersions: string[]; capabilities: Record<string, unknown>; _meta: Record<string, { name: string }> } };
    assert.ok(body.result.supportedVersions.includes("2026-07-28"));
    assert.ok("tools" in body.result.capabilities);
    assert.equal(body.result._meta["io.modelcontextprotocol/serverInfo"]?.name, "gatehouse");
  });

  it("runs an allowed call for both clients alike, and audits each with the client's name", async () => {
    const modern = await modernClient(retryingToken, "modern-auditor");
    const legacy = await legacyClient(retryingToken);
    const call = { name: "smartlead_get_email_account_by_id", arguments: { email_account_id: 501 } };
    const viaModern = await modern.client.callTool(call);
    const viaLegacy = await legacy.client.callTool(call);
    assert.equal(viaModern.isError ?? false, false, textOf(viaModern as never));
    assert.deepEqual(JSON.parse(textOf(viaModern as never)), JSON.parse(textOf(viaLegacy as never)));
    const denied = await modern.client.callTool({ name: "smartlead_delete_campaign", arguments: { campaign_id: 1 } });
    assert.equal(denied.isError, true);
    const { rows } = await gw.instance.database.pool.query<{ id: string }>("SELECT id FROM tool_calls WHERE tool = $1 ORDER BY created_at", [call.name]);
    const clients = [];
    for (const { id } of rows) {
      const response = await fetch(`${gw.url}/api/audit/calls/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const story = (await response.json()) as { asked: { client: { name: string } | null; grant: string } };
      clients.push(`${story.asked.client?.name} as ${story.asked.grant}`);
    }
    assert.deepEqual(clients, ["modern-auditor as modern-retrying", "sdk-v1-agent as modern-retrying"]);
  });

  it("holds a 2026-07-28 client's call until a reviewer approves it, then returns the real result; the upstream runs it once", async () => {
    const { client } = await modernClient(waitingToken);
    const before = runs();
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } });
    const approval = await reconnectApprovalFor(gw, [501]);
    assert.equal(runs(), before, "nothing ran before the decision");
    assert.equal((await decide(gw, approval.id, "approve")).status, 200);
    const result = await call;
    assert.equal(result.isError ?? false, false, textOf(result as never));
    assert.deepEqual((JSON.parse(textOf(result as never)) as { results: Array<{ email_account_id: number }> }).results.map((r) => r.email_account_id), [501]);
    assert.equal(runs(), before + 1);
  });

  it("tells a 2026-07-28 client a denial in plain words and runs nothing", async () => {
    const { client } = await modernClient(waitingToken);
    const before = runs();
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [502] } });
    const approval = await reconnectApprovalFor(gw, [502]);
    await decide(gw, approval.id, "deny", { reason: "migrating these mailboxes" });
    const outcome = await call;
    assert.equal(outcome.isError, true);
    assert.match(textOf(outcome as never), /Denied by .*: migrating these mailboxes\. The call was not executed\./);
    assert.equal(runs(), before);
  });

  it("gives a 2026-07-28 client the pending answer, and its call with the same arguments after the approval runs once", async () => {
    const { client } = await modernClient(retryingToken);
    const before = runs();
    const first = await client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    assert.equal(first.isError, true);
    assert.match(textOf(first as never), new RegExp(`${RECONNECT} has NOT run: it is waiting for a person to approve it`));
    assert.equal((first._meta as Record<string, unknown> | undefined)?.["gatehouse/approval_status"], "pending");
    const approval = await reconnectApprovalFor(gw, [503]);
    await decide(gw, approval.id, "approve");
    const again = await client.callTool({ name: RECONNECT, arguments: { email_account_ids: [503] } });
    assert.equal(again.isError ?? false, false, textOf(again as never));
    assert.equal(runs(), before + 1, "ran exactly once");
  });

  it("keeps the approval open when a 2026-07-28 client's connection drops (detached, not cancelled)", async () => {
    const { client } = await modernClient(waitingToken);
    const before = runs();
    const controller = new AbortController();
    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [504] } }, { signal: controller.signal });
    const approval = await reconnectApprovalFor(gw, [504]);
    controller.abort();
    await call.catch(() => {});
    await decide(gw, approval.id, "approve");
    const approved = await waitUntil(() => gw.instance.approvals.repo.get(approval.id), (a) => a?.status !== "pending", 10_000);
    assert.equal(approved?.status, "approved", "approved, waiting for the agent to come back");
    assert.equal(runs(), before, "nothing runs with nobody there");
    const again = await client.callTool({ name: RECONNECT, arguments: { email_account_ids: [504] } });
    assert.equal(again.isError ?? false, false, textOf(again as never));
    assert.equal(runs(), before + 1);
  });

  it("tells a 2026-07-28 client's subscriptions/listen stream when a policy reload changes the tool list", async () => {
    const controller = new AbortController();
    const response = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      signal: controller.signal,
      headers: { authorization: `Bearer ${retryingToken}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "subscriptions/listen" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "subscriptions/listen", params: { notifications: { toolsListChanged: true }, _meta: ENVELOPE } }),
    });
    assert.equal(response.status, 200);
    const methods: string[] = [];
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const next = async (): Promise<string> => {
      for (let buffer = ""; ; ) {
        const event = /data: (.*)\n/.exec(buffer);
        if (event) return (JSON.parse(event[1]!) as { method: string }).method;
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended after ${methods.join(", ")}`);
        buffer += value;
      }
    };
    methods.push(await next());
    await gw.writePolicy("smartlead", { ...POLICY, tools: { ...POLICY.tools, "smartlead_delete_*": {} } });
    methods.push(await next());
    controller.abort();
    assert.deepEqual(methods, ["notifications/subscriptions/acknowledged", "notifications/tools/list_changed"]);
    await gw.writePolicy("smartlead", POLICY);
  });

  describe("the tasks extension (io.modelcontextprotocol/tasks) for 2026-07-28 clients", () => {
    const TASKS = { extensions: { "io.modelcontextprotocol/tasks": {} } };
    const NAME_OF: Record<string, (p: Record<string, unknown>) => unknown> = { "tools/call": (p) => p.name, "tasks/get": (p) => p.taskId, "tasks/cancel": (p) => p.taskId, "tasks/update": (p) => p.taskId };
    let nextId = 100;
    async function rpc(method: string, params: Record<string, unknown>, capabilities: Record<string, unknown> = TASKS, token = retryingToken) {
      const name = NAME_OF[method]?.(params);
      const response = await post(
        token,
        { jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: { ...ENVELOPE, "io.modelcontextprotocol/clientCapabilities": capabilities } } },
        { "mcp-protocol-version": "2026-07-28", "mcp-method": method, ...(typeof name === "string" && { "mcp-name": name }) },
      );
      const text = await response.text();
      const data = text.split("\n").filter((line) => line.startsWith("data: ")).pop();
      return { status: response.status, body: JSON.parse(data ? data.slice("data: ".length) : text) as { result?: Record<string, unknown>; error?: { code: number; message: string } } };
    }
    const taskStatus = async (taskId: string) => (await rpc("tasks/get", { taskId })).body.result!;

    it("is offered in server/discover", async () => {
      const { body } = await rpc("server/discover", {});
      assert.deepEqual((body.result!.capabilities as { extensions?: unknown }).extensions, { "io.modelcontextprotocol/tasks": {} });
    });

    it("answers a held call with a task, durable at once; approved, tasks/get inlines the real result and the upstream ran once", async () => {
      const before = runs();
      const { body } = await rpc("tools/call", { name: RECONNECT, arguments: { email_account_ids: [505] } });
      const task = body.result!;
      assert.equal(task.resultType, "task");
      assert.equal(task.status, "working");
      assert.ok(Number.isInteger(task.ttlMs) && !("ttl" in task) && !("pollInterval" in task) && !("task" in task), JSON.stringify(task));
      assert.equal((await taskStatus(task.taskId as string)).status, "working");
      const approval = await reconnectApprovalFor(gw, [505]);
      await decide(gw, approval.id, "approve");
      const done = await waitUntil(() => taskStatus(task.taskId as string), (t) => t.status !== "working", 20_000);
      assert.equal(done.status, "completed", JSON.stringify(done));
      assert.equal(done.resultType, "complete");
      const result = done.result as { content: Array<{ text: string }>; _meta?: Record<string, unknown> };
      assert.deepEqual((JSON.parse(result.content[0]!.text) as { results: Array<{ email_account_id: number }> }).results.map((r) => r.email_account_id), [505]);
      assert.equal(result._meta?.["io.modelcontextprotocol/related-task"], undefined);
      assert.equal(runs(), before + 1);
    });

    it("answers an allowed call with its plain result, not a task", async () => {
      const { body } = await rpc("tools/call", { name: "smartlead_get_email_account_by_id", arguments: { email_account_id: 501 } });
      assert.equal(body.result!.resultType, "complete");
      assert.ok(Array.isArray(body.result!.content));
    });

    it("cancels a held call's approval with tasks/cancel (an empty ack); tasks/get then says cancelled and nothing runs", async () => {
      const before = runs();
      const { body } = await rpc("tools/call", { name: RECONNECT, arguments: { email_account_ids: [501, 505] } });
      const taskId = body.result!.taskId as string;
      const approval = await reconnectApprovalFor(gw, [501, 505]);
      const ack = await rpc("tasks/cancel", { taskId });
      assert.ok(ack.body.result, JSON.stringify(ack.body));
      assert.deepEqual(ack.body.result, { resultType: "complete", _meta: ack.body.result!._meta });
      assert.equal((await taskStatus(taskId)).status, "cancelled");
      const ended = await waitUntil(() => gw.instance.approvals.repo.get(approval.id), (a) => a?.status !== "pending", 10_000);
      assert.equal(ended?.status, "cancelled");
      assert.equal((await rpc("tasks/cancel", { taskId })).status, 200, "cancelling again is no error");
      assert.equal((await rpc("tasks/update", { taskId, inputResponses: {} })).body.result?.resultType, "complete", "tasks/update: nothing to deliver, an empty result");
      assert.equal(runs(), before);
    });

    it("ends the task cancelled when its approval was cancelled through tasks/cancel but the task was not marked yet (the sweep finishes it)", async () => {
      const { body } = await rpc("tools/call", { name: RECONNECT, arguments: { email_account_ids: [502, 504] } });
      const taskId = body.result!.taskId as string;
      const approval = await reconnectApprovalFor(gw, [502, 504]);
      // What tasks/cancel's first step does, as if the request died before its second step.
      assert.equal(await gw.instance.approvals.service.cancel(approval.id, TASK_CANCEL_REASON), true);
      const ended = await waitUntil(() => taskStatus(taskId), (t) => t.status !== "working", 10_000);
      assert.equal(ended.status, "cancelled");
      assert.equal(((await rpc("tasks/cancel", { taskId })).body.result as { resultType?: string }).resultType, "complete", "cancelling it again: done");
    });

    it("refuses tasks/get without the extension declared (-32021), another grant's or an unknown task (-32602), and the removed tasks/result (-32601)", async () => {
      const { body } = await rpc("tools/call", { name: RECONNECT, arguments: { email_account_ids: [502, 503] } });
      const taskId = body.result!.taskId as string;
      assert.equal((await rpc("tasks/get", { taskId }, TASKS, waitingToken)).body.error?.code, -32602, "another grant's task");
      assert.equal((await rpc("tasks/cancel", { taskId }, TASKS, waitingToken)).body.error?.code, -32602);
      assert.equal((await rpc("tasks/cancel", { taskId })).status, 200);
      const undeclared = await rpc("tasks/get", { taskId: "00000000-0000-4000-8000-000000000000" }, {});
      assert.equal(undeclared.body.error?.code, -32021);
      assert.equal(undeclared.status, 400);
      assert.equal((await rpc("tasks/get", { taskId: "00000000-0000-4000-8000-000000000000" })).body.error?.code, -32602);
      assert.equal((await rpc("tasks/result", { taskId: "00000000-0000-4000-8000-000000000000" })).body.error?.code, -32601);
    });
  });

  it("a 2026-07-28 SDK client over `gatehouse stdio` settles on 2025-11-25 (stdio speaks that revision) and sees the same tools", async () => {
    const { stdio } = gatewayTargets(gw, { name: "modern-retrying", token: retryingToken });
    const transport = new ModernStdioTransport({ ...stdio, stderr: "ignore" });
    const client = new ModernClient({ name: "sdk-v2-over-stdio", version: "2.4.0" }, { versionNegotiation: { mode: "auto" } });
    await client.connect(transport);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), "2025-11-25");
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes(RECONNECT) && names.includes("smartlead_get_campaign"), names.join(", "));
    } finally {
      await client.close();
    }
  });

  it("answers an initialize asking for 2026-07-28 with 2025-11-25 (that revision has no initialize)", async () => {
    const response = await post(retryingToken, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2026-07-28", capabilities: {}, clientInfo: { name: "next-client", version: "1" } } });
    assert.equal(response.status, 200);
    const text = await response.text();
    const data = text.split("\n").find((line) => line.startsWith("data: "));
    const message = JSON.parse(data ? data.slice("data: ".length) : text) as { result: { protocolVersion: string } };
    assert.equal(message.result.protocolVersion, "2025-11-25");
  });

  it("refuses a request with neither a session nor the 2026-07-28 envelope, naming both ways in", async () => {
    const response = await post(retryingToken, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /must be initialize \(revision 2025-11-25\), or every request must carry the 2026-07-28 envelope/);
  });

  it("refuses a 2026-07-28 request whose headers disagree with its body (-32020, HTTP 400)", async () => {
    const response = await post(retryingToken, { jsonrpc: "2.0", id: 3, method: "tools/list", params: { _meta: ENVELOPE } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call" });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: number } };
    assert.equal(body.error.code, -32020);
  });

  it("refuses a 2026-07-28 request without a grant token like any other (401)", async () => {
    const response = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/list", params: { _meta: ENVELOPE } }),
    });
    assert.equal(response.status, 401);
  });
});

describe(`upstreams built on the SDK v2 (2026-07-28) (${storageLabel()})`, () => {
  const NOTES_POLICY = { version: "1", default: "allow", tools: { record_note: { action: "require_approval", approval: { timeout: "10m" } } } };
  const ALLOW_ALL = { version: "1", default: "allow" };

  /** Runs `test` against a gateway in front of a fresh SDK v2 upstream, and closes both. */
  async function withNotes(legacy: "stateless" | "reject", policy: unknown, test: (gw: TestGateway, upstream: ModernUpstream) => Promise<void>): Promise<void> {
    const upstream = await startModernUpstream(legacy);
    const gw = await startTestGateway({ upstreams: { notes: { url: upstream.url } }, policies: { notes: policy }, extraConfig: { approvals: { ...APPROVALS, maxWaitSeconds: 30 } } });
    try {
      await test(gw, upstream);
    } finally {
      await gw.close();
      await upstream.close();
    }
  }

  const LEGACY_LEGS = { stateless: "that also answers 2025 clients (the SDK v2 default)", reject: "that answers only that revision" } as const;
  for (const [legacy, which] of Object.entries(LEGACY_LEGS) as Array<[keyof typeof LEGACY_LEGS, string]>) {
    it(`speaks 2026-07-28 to an upstream ${which}: tools listed, a held call approved runs once`, async () => {
      await withNotes(legacy, NOTES_POLICY, async (gw, upstream) => {
        const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { upstreams: Array<{ name: string; state: string; revision: string }> };
        assert.equal(ready.upstreams.find((u) => u.name === "notes")?.state, "ready");
        assert.equal(ready.upstreams.find((u) => u.name === "notes")?.revision, "2026-07-28");
        const client = await gw.connect(await gw.createToken("notes-agent"));
        assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ["delete_notes", "gatehouse_approval_status", "read_notes", "record_note"]);
        const created = nextApproval(gw);
        const call = client.callTool({ name: "record_note", arguments: { text: "hello" } });
        const approval = await created;
        assert.equal(upstream.runs(), 0);
        await decide(gw, approval.id, "approve");
        const result = (await call) as { content: unknown; _meta?: Record<string, unknown> };
        assert.equal(textOf(result as never), "recorded: hello");
        assert.equal(result._meta?.["io.modelcontextprotocol/serverInfo"], undefined, "the upstream's envelope stays between it and the gateway");
        assert.equal(upstream.runs(), 1);
        await client.close();
      });
    });
  }

  it("hears a 2026-07-28 upstream's list change over subscriptions/listen and tells the agents", async () => {
    await withNotes("reject", ALLOW_ALL, async (gw, upstream) => {
      const client = await gw.connect(await gw.createToken("notes-agent"));
      const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
      // The gateway opens its listen stream when it connects: once the upstream has it, a change reaches the agent.
      await waitUntil(async () => upstream.listeners(), (open) => open > 0, 10_000);
      upstream.toolsChanged();
      await changed;
      await client.close();
    });
  });

  it("turns a 2026-07-28 upstream's input_required result into an elicitation for the agent, and sends the call again with the answer", async () => {
    await withNotes("reject", ALLOW_ALL, async (gw) => {
      const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${await gw.createToken("notes-agent")}` } } });
      const client = new Client({ name: "eliciting-agent", version: "1" }, { capabilities: { elicitation: { form: {} } } });
      const asked: string[] = [];
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: "accept", content: { confirm: asked.length === 1 } };
      });
      await client.connect(transport);
      await client.callTool({ name: "record_note", arguments: { text: "one" } });
      assert.equal(textOf((await client.callTool({ name: "delete_notes", arguments: {} })) as never), "deleted the notes");
      assert.deepEqual(asked, ["Delete every note?"]);
      assert.equal(textOf((await client.callTool({ name: "delete_notes", arguments: {} })) as never), "kept the notes");
      assert.equal(asked.length, 2);
      await client.close();
    });
  });

  it("passes a 2026-07-28 upstream's question to a 2026-07-28 agent as input_required, and the agent's answer back (the call runs once)", async () => {
    await withNotes("reject", ALLOW_ALL, async (gw, upstream) => {
      const transport = new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${await gw.createToken("notes-agent")}` } } });
      const client = new ModernClient({ name: "modern-eliciting-agent", version: "2.4.0" }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: "auto" } });
      const asked: string[] = [];
      client.setRequestHandler("elicitation/create", async (request) => {
        asked.push(request.params.message);
        return { action: "accept", content: { confirm: true } };
      });
      await client.connect(transport);
      assert.equal(transport.protocolVersion, "2026-07-28");
      await client.callTool({ name: "record_note", arguments: { text: "one" } });
      assert.equal(upstream.runs(), 1);
      assert.equal(textOf((await client.callTool({ name: "delete_notes", arguments: {} })) as never), "deleted the notes");
      assert.deepEqual(asked, ["Delete every note?"]);
      assert.equal(upstream.runs(), 0, "the notes were deleted");
      await client.close();
    });
  });

  it("refuses a requestState it did not issue (or another grant's), naming the fix", async () => {
    await withNotes("reject", ALLOW_ALL, async (gw, upstream) => {
      const token = await gw.createToken("notes-agent");
      const response = await fetch(`${gw.url}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "delete_notes" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "delete_notes", arguments: {}, requestState: "forged", inputResponses: { "input-0": { action: "accept", content: { confirm: true } } }, _meta: { ...ENVELOPE, "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } } } } }),
      });
      const text = await response.text();
      assert.match(text, /requestState is unknown, expired or not this grant's/);
      assert.equal(upstream.runs(), 0);
    });
  });

  it("passes a 2025-11-25 upstream's elicitation request to a 2026-07-28 agent as input_required (the conformance reference server)", async () => {
    const reference = await startConformanceServer();
    const gw = await startTestGateway({ upstreams: { conf: { url: reference.url } }, policies: {} });
    try {
      const transport = new ModernTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${await gw.createToken("conf-agent")}` } } });
      const client = new ModernClient({ name: "modern-eliciting-agent", version: "2.4.0" }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: "auto" } });
      const asked: string[] = [];
      client.setRequestHandler("elicitation/create", async (request) => {
        asked.push(request.params.message);
        return { action: "accept", content: { response: "blue" } };
      });
      await client.connect(transport);
      const result = await client.callTool({ name: "test_elicitation", arguments: { message: "Favourite colour?" } });
      assert.deepEqual(asked, ["Favourite colour?"]);
      assert.match(textOf(result as never), /accept/);
      assert.match(textOf(result as never), /blue/);
      await client.close();
    } finally {
      await gw.close();
      await reference.close();
    }
  });
});

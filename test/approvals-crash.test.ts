// Crashes: a gateway process killed with SIGKILL and started again on the same storage. Held work
// survives as tasks; an execution cut short ends as outcome_unknown and is never retried.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { reconnectCount } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, dropSchema, storageLabel, textOf } from "./helpers/gateway.ts";
import { spawnGateway, waitUntil, type GatewayProcess } from "./helpers/process.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const AGENT_TOKEN = `ghk_${randomBytes(24).toString("base64url")}`;
const ADMIN = "crash-admin-token";

describe(`gateway killed and restarted (${storageLabel()})`, () => {
  let dir: string;
  let configFile: string;
  const schema = `gh_crash_${randomBytes(4).toString("hex")}`;
  const running: GatewayProcess[] = [];
  const start = async () => {
    const gw = await spawnGateway(configFile, { AGENT_TOKEN, GATEHOUSE_ADMIN_TOKEN: ADMIN });
    running.push(gw);
    return gw;
  };
  const connect = async (gw: GatewayProcess) => {
    const client = new Client({ name: "crash-agent", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${AGENT_TOKEN}` } } }));
    return client;
  };
  const api = async (gw: GatewayProcess, path: string, body?: unknown) => {
    const response = await fetch(`${gw.url}/api/approvals${path}`, {
      method: body ? "POST" : "GET",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (await response.json()) as { status?: string; approvals?: Array<{ id: string; status: string }>; approval?: { status: string } };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-crash-"));
    await writeFile(join(dir, "smartlead.json"), JSON.stringify({ version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval" }, smartlead_pause_lead_by_campaign: { action: "require_approval", approval: { wait: "ticket" } } } }));
    configFile = join(dir, "gatehouse.json");
    await writeFile(
      configFile,
      JSON.stringify({
        upstreams: { smartlead: { ...DEMO_UPSTREAM, env: { SMARTLEAD_STEP_DELAY_MS: "3000" }, policy: "smartlead.json" } },
        grants: [{ name: "crash-agent", token: "${AGENT_TOKEN}" }],
        storage: { dataDir: "data", schema },
        approvals: { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 1.5, heartbeatSeconds: 0.5 },
      }),
    );
  });
  after(async () => {
    for (const gw of running) await gw.kill();
    if (process.env.DATABASE_URL) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps an MCP task and a ticket across kill -9; approved after the restart, both return the result of one execution", async () => {
    const first = await start();
    const agent = await connect(first);
    const { task } = await agent.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [502] }, task: { ttl: 600_000 } } }, CreateTaskResultSchema);
    assert.equal(task.status, "working");
    const ticket = await agent.callTool({ name: "smartlead_pause_lead_by_campaign", arguments: { campaign_id: 1001, lead_id: 3002 } });
    const ticketId = ticket._meta?.["gatehouse/approval_id"] as string;
    assert.ok(ticketId, textOf(ticket));
    const pending = await waitUntil(() => api(first, "?status=pending"), (r) => (r.approvals?.length ?? 0) === 2);
    const approvalId = pending.approvals!.find((a) => a.id !== ticketId)!.id;
    await first.kill();

    const second = await start();
    const decided = await api(second, `/${approvalId}/approve`, {});
    assert.equal(decided.approval?.status, "approved");
    assert.equal((await api(second, `/${ticketId}/approve`, {})).approval?.status, "approved");
    const again = await connect(second);
    const followed = await waitUntil(
      () => again.callTool({ name: "gatehouse_approval_status", arguments: { id: ticketId } }),
      (r) => !["pending", "approved", "executing"].includes(String(r._meta?.["gatehouse/approval_status"])),
    );
    assert.equal(followed._meta?.["gatehouse/approval_status"], "succeeded", textOf(followed));
    const done = await waitUntil(() => again.experimental.tasks.getTask(task.taskId), (t) => t.status === "completed" || t.status === "failed", 30_000);
    assert.equal(done.status, "completed", done.statusMessage);
    const result = await again.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    assert.match(textOf(result), /"reconnected_count":\s*1/);
    assert.equal(await reconnectCount(again, 502), 1, "ran exactly once, by the restarted gateway");
    await again.close();
    await second.stop();
  });

  it("turns an execution cut short by kill -9 into outcome_unknown, and never runs it again", async () => {
    const first = await start();
    const agent = await connect(first);
    let approvalId = "";
    let onRunning!: () => void;
    const isRunning = new Promise<void>((resolve) => (onRunning = resolve));
    const held = agent
      .request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [503] } } }, CallToolResultSchema, {
        // Heartbeats (every 0.5 s) keep the request alive; once the gateway is dead it times out fast.
        timeout: 3_000,
        resetTimeoutOnProgress: true,
        onprogress: (p) => {
          const id = /approval ([0-9a-f-]{36})/.exec(p.message ?? "")?.[1];
          if (id && !approvalId) {
            approvalId = id;
            void api(first, `/${id}/approve`, {});
          }
          // The demo upstream reports "reconnecting…" as soon as the approved call starts running.
          if (/reconnecting/.test(p.message ?? "")) onRunning();
        },
      })
      .catch((error: unknown) => error);
    await isRunning;
    await first.kill();
    assert.ok((await held) instanceof Error, "the held request dies with its gateway");

    const second = await start();
    const final = await waitUntil(() => api(second, `/${approvalId}`), (a) => a.status !== "executing");
    assert.equal(final.status, "outcome_unknown");
    const client = await connect(second);
    assert.equal(await reconnectCount(client, 503), 0, "the restarted gateway did not retry it");
    await client.close();
    await second.stop();
  });

  it("leaves the approval of a held request cut by kill -9 open: the agent's retry on the restarted gateway attaches and runs it once", async () => {
    const first = await start();
    const agent = await connect(first);
    let onId!: (id: string) => void;
    const known = new Promise<string>((resolve) => (onId = resolve));
    const held = agent
      .request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [504] } } }, CallToolResultSchema, {
        timeout: 3_000,
        resetTimeoutOnProgress: true,
        onprogress: (p) => {
          const id = /approval ([0-9a-f-]{36})/.exec(p.message ?? "")?.[1];
          if (id) onId(id);
        },
      })
      .catch((error: unknown) => error);
    const approvalId = await known;
    await first.kill();
    assert.ok((await held) instanceof Error);

    const second = await start();
    assert.equal((await api(second, `/${approvalId}`)).status, "pending", "a dead connection is not a cancel");
    // The dead gateway's waiting agent is forgotten by the restarted one's reaper.
    await waitUntil(() => api(second, `/${approvalId}`) as Promise<{ agent?: { isWaiting: boolean } }>, (a) => a.agent?.isWaiting === false);
    assert.equal((await api(second, `/${approvalId}/approve`, {})).approval?.status, "approved");
    const again = await connect(second);
    const result = await again.callTool({ name: RECONNECT, arguments: { email_account_ids: [504] } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(result._meta?.["gatehouse/approval_id"], approvalId, "the retry attached to the approval made before the crash");
    assert.equal(await reconnectCount(again, 504), 1, "ran once");
    await again.close();
    await second.stop();
  });
});

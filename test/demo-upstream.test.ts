// The SmartLead-shaped demo upstream, driven by the SDK's real client over stdio (as a child with
// its stdout banner), over Streamable HTTP (as a child), and in-process for account behaviour.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { CallToolResultSchema, type CallToolResult, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { loadToolCatalog, type JsonSchema } from "../examples/smartlead/catalog.ts";
import { createSmartleadServer } from "../examples/smartlead/server.ts";
import { countToolCalls, createAccountState, type AccountState } from "../examples/smartlead/state.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const entry = ["--import", "tsx", "examples/smartlead/main.ts"];
const childEnv = { PATH: process.env["PATH"] ?? "", SMARTLEAD_BANNER: "1" };

interface CatalogEntry {
  name: string;
  title: string;
  risk: string;
  inputSchema: unknown;
}
const catalog = (JSON.parse(readFileSync(new URL("../examples/smartlead/tools.json", import.meta.url), "utf8")) as { tools: CatalogEntry[] }).tools;
const sharedFixture = new URL("../../shared/fixtures/smartlead-tools.json", import.meta.url);

function expectedAnnotations(risk: string) {
  if (risk === "read") return { readOnlyHint: true };
  return { readOnlyHint: false, destructiveHint: risk === "destructive" };
}

async function call(client: Client, name: string, args: Record<string, unknown>, onprogress?: (progress: Progress) => void): Promise<CallToolResult> {
  return client.request({ method: "tools/call", params: { name, arguments: args } }, CallToolResultSchema, onprogress ? { onprogress } : {});
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  assert.equal(first?.type, "text");
  return first.type === "text" ? first.text : "";
}

async function json(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result = await call(client, name, args);
  assert.notEqual(result.isError, true, `${name} failed: ${textOf(result)}`);
  return JSON.parse(textOf(result)) as Record<string, unknown>;
}

/** Shared checks: the same behaviour must hold on every transport. */
function describeUpstreamContract(connect: () => Promise<Client>) {
  let client: Client;
  before(async () => {
    client = await connect();
  });

  it("lists the 116 SmartLead tools with titles, schemas and risk annotations", async () => {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 116);
    assert.deepEqual(tools.map((tool) => tool.name), catalog.map((tool) => tool.name));
    for (const [index, tool] of tools.entries()) {
      const expected = catalog[index];
      assert.ok(expected);
      assert.equal(tool.title, expected.title);
      assert.ok(tool.description && tool.description.length > 10, `${tool.name} has a description`);
      assert.deepEqual(tool.inputSchema, expected.inputSchema);
      assert.deepEqual(tool.annotations, expectedAnnotations(expected.risk), tool.name);
    }
  });

  it("reconnects failed email accounts, with progress, and the read tools show it", async () => {
    const before = await json(client, "smartlead_get_all_email_accounts");
    assert.deepEqual(before["failed_email_account_ids"], [502, 503, 504]);

    const progress: Progress[] = [];
    const result = await call(client, "smartlead_reconnect_failed_email_accounts", { email_account_ids: [502, 504] }, (p) => progress.push(p));
    assert.notEqual(result.isError, true, textOf(result));
    const report = JSON.parse(textOf(result)) as { reconnected_count: number; results: { email_account_id: number; outcome: string; reconnect_count: number }[] };
    assert.equal(report.reconnected_count, 2);
    assert.deepEqual(report.results.map((r) => [r.email_account_id, r.outcome, r.reconnect_count]), [[502, "reconnected", 1], [504, "reconnected", 1]]);
    // The SDK client dispatches notifications a microtask late and drops progress that arrives
    // together with the response, so only the first notification (sent before any work) is certain.
    assert.deepEqual(progress[0], { progress: 0, total: 2, message: "reconnecting 2 email account(s)" });
    assert.ok(progress.every((p, i) => p.total === 2 && p.progress >= (progress[i - 1]?.progress ?? 0)), "progress only grows");

    const account = await json(client, "smartlead_get_email_account_by_id", { email_account_id: 502 });
    assert.equal(account["is_smtp_success"], true);
    assert.equal(account["is_imap_success"], true);
    assert.equal(account["reconnect_count"], 1);
    assert.equal(account["password"], undefined, "credentials are never returned");
    const afterwards = await json(client, "smartlead_get_all_email_accounts");
    assert.deepEqual(afterwards["failed_email_account_ids"], [503]);
  });

  it("answers unknown ids and bad arguments with isError results", async () => {
    const missing = await call(client, "smartlead_get_campaign", { campaign_id: 999 });
    assert.equal(missing.isError, true);
    assert.equal(textOf(missing), "Campaign 999 not found");

    const partlyUnknown = await call(client, "smartlead_reconnect_failed_email_accounts", { email_account_ids: [503, 9999] });
    assert.equal(partlyUnknown.isError, true);
    assert.match(textOf(partlyUnknown), /Email account 9999 not found; nothing was reconnected/);
    const untouched = await json(client, "smartlead_get_email_account_by_id", { email_account_id: 503 });
    assert.equal(untouched["reconnect_count"], 0);

    const invalid = await call(client, "smartlead_update_campaign_status", { campaign_id: "1001", status: "LAUNCH" });
    assert.equal(invalid.isError, true);
    assert.match(textOf(invalid), /Invalid arguments.*campaign_id: expected number, got string.*status: must be one of "PAUSED", "STOPPED", "START"/);
  });

  it("rejects an unknown tool with a JSON-RPC error", async () => {
    await assert.rejects(call(client, "smartlead_launch_rockets", {}), /Unknown tool: smartlead_launch_rockets/);
  });

  return () => client;
}

describe("SmartLead demo upstream over stdio", () => {
  let transport: StdioClientTransport;
  const clientErrors: Error[] = [];
  const getClient = describeUpstreamContract(async () => {
    transport = new StdioClientTransport({ command: process.execPath, args: entry, env: childEnv, cwd: repoRoot, stderr: "pipe" });
    const client = new Client({ name: "demo-upstream-test", version: "1.0.0" });
    client.onerror = (error) => clientErrors.push(error);
    await client.connect(transport);
    return client;
  });

  it("survived the non-JSON banner on stdout", () => {
    assert.equal(getClient().getServerVersion()?.name, "smartlead-demo");
    assert.ok(clientErrors.some((error) => error instanceof SyntaxError), "the banner line reached the client as a parse error");
  });

  after(async () => {
    await getClient()?.close();
  });
});

describe("SmartLead demo upstream over Streamable HTTP", () => {
  let child: ChildProcess;
  let url: URL;
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ name: "demo-upstream-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url));
    clients.push(client);
    return client;
  };

  before(async () => {
    child = spawn(process.execPath, [...entry, "--http", "--port", "0", "--host", "127.0.0.1"], { cwd: repoRoot, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    url = new URL(await waitForListening(child));
  });

  describeUpstreamContract(connect);

  it("shares one account between sessions", async () => {
    const first = await connect();
    const second = await connect();
    await json(first, "smartlead_reconnect_failed_email_accounts", { email_account_ids: [503] });
    const seen = await json(second, "smartlead_get_email_account_by_id", { email_account_id: 503 });
    assert.equal(seen["reconnect_count"], 1);
  });

  it("exits cleanly on SIGTERM", async () => {
    await Promise.all(clients.map((client) => client.close()));
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  });

  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
});

describe("SmartLead demo stdio process", () => {
  it("prints the banner before JSON-RPC and exits when stdin closes", async () => {
    const child = spawn(process.execPath, entry, { cwd: repoRoot, env: childEnv, stdio: ["pipe", "pipe", "ignore"] });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } } })}\n`);
      assert.equal((await lines.next()).value, "SmartLead MCP demo ready");
      const response = JSON.parse(String((await lines.next()).value)) as { id: number; result: { serverInfo: { name: string } } };
      assert.equal(response.id, 1);
      assert.equal(response.result.serverInfo.name, "smartlead-demo");
      const exited = once(child, "exit");
      child.stdin.end();
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

describe("SmartLead demo account behaviour (in-process)", () => {
  let state: AccountState;
  let client: Client;

  before(async () => {
    state = createAccountState({ now: () => new Date("2025-03-01T12:00:00Z") });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createSmartleadServer(state, { stepDelayMs: 0 }).connect(serverSide);
    client = new Client({ name: "demo-upstream-test", version: "1.0.0" });
    await client.connect(clientSide);
  });

  after(async () => {
    await client.close();
  });

  it("enforces campaign status rules", async () => {
    const noSequence = await call(client, "smartlead_update_campaign_status", { campaign_id: 1003, status: "START" });
    assert.equal(noSequence.isError, true);
    assert.equal(textOf(noSequence), "Campaign 1003 has no sequence; save one before starting it");

    const paused = await json(client, "smartlead_update_campaign_status", { campaign_id: 1001, status: "PAUSED" });
    assert.deepEqual([paused["previous_status"], paused["status"]], ["ACTIVE", "PAUSED"]);
    const stopped = await call(client, "smartlead_update_campaign_status", { campaign_id: 1004, status: "START" });
    assert.match(textOf(stopped), /Campaign 1004 is STOPPED and cannot be started again/);
    assert.equal(state.campaigns.get(1001)?.status, "PAUSED");
  });

  it("creates, lists and deletes campaigns", async () => {
    const created = await json(client, "smartlead_create_campaign", { name: "Gatehouse pilot", client_id: 12 });
    assert.equal(created["id"], 1005);
    const listed = await json(client, "smartlead_list_campaigns", {});
    assert.equal(listed["total"], 5);
    await json(client, "smartlead_delete_campaign", { campaign_id: 1005 });
    const gone = await call(client, "smartlead_get_campaign", { campaign_id: 1005 });
    assert.equal(textOf(gone), "Campaign 1005 not found");
  });

  it("adds leads, skipping duplicates and blocklisted addresses", async () => {
    const result = await json(client, "smartlead_add_leads_to_campaign", {
      campaign_id: 1003,
      leads: [{ email: "new@lead.example", first_name: "New" }, { email: "raj@signal.example" }, { email: "buyer@rival.example" }],
    });
    assert.equal(result["added_count"], 1);
    assert.deepEqual(result["skipped"], [
      { email: "raj@signal.example", reason: "already in this campaign" },
      { email: "buyer@rival.example", reason: "on the global blocklist" },
    ]);
  });

  it("needs a mailbox with working SMTP to reply, which a reconnect restores", async () => {
    await json(client, "smartlead_remove_email_account_from_campaign", { campaign_id: 1001, email_account_id: 501 });
    const refused = await call(client, "smartlead_reply_to_lead_from_master_inbox", { campaign_id: 1001, lead_id: 3001, message: "Does Tuesday work?" });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /no email account with a working SMTP login/);

    await json(client, "smartlead_reconnect_failed_email_accounts", { email_account_ids: [502] });
    const sent = await json(client, "smartlead_reply_to_lead_from_master_inbox", { campaign_id: 1001, lead_id: 3001, message: "Does Tuesday work?" });
    assert.deepEqual(sent["sent"], { type: "SENT", from: "leo@northwind-mail.example", to: "priya@lumen.example", subject: "Re: Quick question", body: "Does Tuesday work?", sent_at: "2025-03-01T12:00:00.000Z" });
  });

  it("counts handler executions per tool", () => {
    assert.equal(countToolCalls(state, "smartlead_reconnect_failed_email_accounts"), 1);
    assert.equal(countToolCalls(state, "smartlead_update_campaign_status"), 3);
    assert.equal(state.emailAccounts.get(502)?.reconnect_count, 1);
  });
});

describe("SmartLead demo tools, one by one (in-process)", () => {
  const ids: Record<string, unknown> = {
    campaign_id: 1001, lead_id: 3003, email_account_id: 502, test_id: 802, folder_id: 901, webhook_id: 701, api_key_id: 601,
    vendor_id: 21, count: 2, email_account_ids: [502], test_ids: [801], events: ["EMAIL_REPLY"], domain: "newdomain.example",
    category: "Interested", from_email: "ivy@blueharbor-send.example", email: "priya@lumen.example", mailboxes: [{ email: "a@newdomain.example", password: "pw" }],
  };

  /** Plausible arguments for a schema: known seed ids by name, otherwise a value of the right type. */
  function sampleArgs(schema: JsonSchema, key = ""): unknown {
    if (key in ids) return ids[key];
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case "integer":
      case "number":
        return 5;
      case "boolean":
        return true;
      case "array":
        return [sampleArgs(schema.items ?? {})];
      case "object":
        return Object.fromEntries((schema.required ?? []).map((name) => [name, sampleArgs(schema.properties?.[name] ?? {}, name)]));
      case "string":
        if (schema.format === "email") return "someone@new.example";
        if (schema.format === "uri") return "https://hooks.example/smartlead";
        if (key.endsWith("_date")) return key.startsWith("start") ? "2025-01-06" : "2025-01-20";
        return `sample ${key}`;
      default:
        return "sample";
    }
  }

  async function callFresh(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createSmartleadServer(createAccountState(), { stepDelayMs: 0 }).connect(serverSide);
    const client = new Client({ name: "demo-upstream-test", version: "1.0.0" });
    await client.connect(clientSide);
    try {
      return await call(client, name, args);
    } finally {
      await client.close();
    }
  }

  it("answers valid arguments with JSON text for every tool", async () => {
    for (const tool of loadToolCatalog()) {
      const result = await callFresh(tool.name, sampleArgs(tool.inputSchema) as Record<string, unknown>);
      assert.notEqual(result.isError, true, `${tool.name}: ${textOf(result)}`);
      assert.doesNotThrow(() => JSON.parse(textOf(result)), `${tool.name} returns JSON`);
    }
  });

  it("refuses calls missing required arguments for every tool that has some", async () => {
    for (const tool of loadToolCatalog().filter((spec) => (spec.inputSchema.required ?? []).length > 0)) {
      const result = await callFresh(tool.name, {});
      assert.equal(result.isError, true, tool.name);
      assert.match(textOf(result), new RegExp(`^Invalid arguments for ${tool.name}: .*: required`));
    }
  });
});

describe("SmartLead demo catalog", () => {
  it("keeps names, titles, risk classes and schemas of the shared fixture", { skip: !existsSync(sharedFixture) && "shared fixture not present" }, () => {
    const fixture = (JSON.parse(readFileSync(sharedFixture, "utf8")) as { tools: CatalogEntry[] }).tools;
    const pick = ({ name, title, risk, inputSchema }: CatalogEntry) => ({ name, title, risk, inputSchema });
    assert.deepEqual(catalog.map(pick), fixture.map(pick));
  });
});

async function waitForListening(child: ChildProcess): Promise<string> {
  assert.ok(child.stderr);
  const output: string[] = [];
  for await (const line of createInterface({ input: child.stderr })) {
    const match = /^listening on (http:\/\/\S+)$/.exec(String(line));
    if (match?.[1]) return match[1];
    output.push(String(line));
  }
  throw new Error(`demo upstream stopped before listening:\n${output.join("\n")}`);
}

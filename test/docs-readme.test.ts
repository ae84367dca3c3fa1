// README sentences no other test pinned down: what `npm start` (the zero-setup demo) prints and serves,
// which tokens it uses, the environment a stdio upstream gets, and the append-only policy history.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { PROJECT_ROOT } from "../src/config/index.ts";
import { DEMO_UPSTREAM, dropSchema, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { spawnGateway, type GatewayProcess } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const DEMO_DELETE_REASON = "Deleting a campaign erases its leads and history; people do that in the SmartLead app.";

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "docs-readme", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

function bannerValue(banner: string, label: string): string {
  const match = new RegExp(`^  ${label} +(\\S+)`, "m").exec(banner);
  assert.ok(match, `the banner has a "${label}" line:\n${banner}`);
  return match[1]!;
}

describe(`README quick start: npm start runs the demo (${storageLabel()})`, () => {
  let cwd: string;
  const schema = `gh_t_${randomBytes(5).toString("hex")}`;
  const running: GatewayProcess[] = [];
  // Without a config file in the working directory `gatehouse start` runs the demo; PORT overrides its 8787.
  const startDemo = async (env: Record<string, string> = {}) => {
    const gateway = await spawnGateway(null, { GATEHOUSE_DATA_DIR: join(cwd, ".gatehouse"), GATEHOUSE_DB_SCHEMA: schema, ...env }, { cwd });
    running.push(gateway);
    return gateway;
  };

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), "gatehouse-demo-"));
  });
  after(async () => {
    await Promise.all(running.map((g) => g.stop()));
    if (process.env.DATABASE_URL) await dropSchema(schema);
    await rm(cwd, { recursive: true, force: true });
  });

  it("prints a demo token, an admin token and ready-to-paste client configs; a denied call names its rule in _meta", async () => {
    const demo = await startDemo();
    assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(demo.url, /:8787$/);
    const banner = demo.stdout();
    assert.match(banner, /demo config/);
    // A first start logs no error (it did: the embedded database's creating process, closed on purpose, was reported as failed).
    assert.doesNotMatch(demo.stderr(), /"level":50/);
    assert.match(banner, /Slack +off \(no SLACK_BOT_TOKEN\): decide held calls with `gatehouse approvals list\|approve\|deny` or \/api\/approvals/);
    assert.match(banner, /Cursor \/ any Streamable HTTP client \(mcp\.json\):/);
    assert.match(banner, /Claude Desktop \(claude_desktop_config\.json, over stdio\):/);
    assert.match(banner, /npx @modelcontextprotocol\/inspector --cli node \S+bin\/gatehouse\.js stdio --grant demo/);
    const demoToken = bannerValue(banner, "Demo token");
    const adminToken = bannerValue(banner, "Admin token");

    const client = await connect(demo.url, demoToken);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes("smartlead_get_campaign"));
    assert.ok(!tools.includes("smartlead_delete_campaign"), "the client sees only the tools the policy lets its grant call");
    const denied = (await client.callTool({ name: "smartlead_delete_campaign", arguments: { campaign_id: 1001 } })) as CallToolResult;
    assert.equal(denied.isError, true);
    assert.equal(textOf(denied), DEMO_DELETE_REASON);
    assert.equal(denied._meta?.["gatehouse/decision"], "deny");
    assert.equal(denied._meta?.["gatehouse/rule"], "/tools/smartlead_delete_campaign");
    assert.equal(typeof denied._meta?.["gatehouse/call_id"], "string");
    await client.close();
    const grants = await fetch(`${demo.url}/api/grants`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(grants.status, 200, "the printed admin token opens /api");
    await demo.stop();
    // GATEHOUSE_DATA_DIR holds what the first start generated: the sealing key, the audit signing key,
    // and (embedded) the database files.
    const dataDir = join(cwd, ".gatehouse");
    assert.equal((await stat(join(dataDir, "encryption.key"))).mode & 0o777, 0o600);
    assert.ok((await stat(join(dataDir, "audit-signing.key"))).isFile());
    if (!process.env.DATABASE_URL) assert.ok((await stat(join(dataDir, "pgdata"))).isDirectory());

    // The next start: a new admin token; GATEHOUSE_DEMO_TOKEN fixes the demo token, and the old one stops working.
    const fixed = `ghk_${randomBytes(24).toString("hex")}`;
    const again = await startDemo({ GATEHOUSE_DEMO_TOKEN: fixed });
    assert.equal(bannerValue(again.stdout(), "Demo token"), fixed);
    assert.notEqual(bannerValue(again.stdout(), "Admin token"), adminToken);
    assert.equal((await fetch(`${again.url}/api/grants`, { headers: { authorization: `Bearer ${adminToken}` } })).status, 401);
    const old = await fetch(`${again.url}/mcp`, { method: "POST", headers: { authorization: `Bearer ${demoToken}`, "content-type": "application/json" }, body: "{}" });
    assert.equal(old.status, 401);
    const withFixed = await connect(again.url, fixed);
    assert.ok((await withFixed.listTools()).tools.length > 0);
    await withFixed.close();
  });
});

describe(`README configuration: which config file \`gatehouse start\` reads (${storageLabel()})`, () => {
  let dir: string;
  const schema = `gh_t_${randomBytes(5).toString("hex")}`;

  const writeConfig = async (file: string, upstream: string) => {
    const config = {
      upstreams: { [upstream]: { ...DEMO_UPSTREAM, policy: join(dir, "policy.json") } },
      storage: { dataDir: join(dir, "data"), schema },
    };
    await writeFile(file, JSON.stringify(config));
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-config-"));
    await copyFile(join(PROJECT_ROOT, "policies/smartlead.json"), join(dir, "policy.json"));
    await writeConfig(join(dir, "gatehouse.json"), "local");
    await writeConfig(join(dir, "elsewhere.json"), "fromenv");
  });
  after(async () => {
    if (process.env.DATABASE_URL) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("reads GATEHOUSE_CONFIG when set, else ./gatehouse.json", async () => {
    const fromEnv = await spawnGateway(null, { GATEHOUSE_CONFIG: join(dir, "elsewhere.json") }, { cwd: dir });
    await fromEnv.stop();
    assert.match(fromEnv.stdout(), /upstreams: fromenv\)/);
    assert.doesNotMatch(fromEnv.stdout(), /demo config/);
    const fromCwd = await spawnGateway(null, {}, { cwd: dir });
    await fromCwd.stop();
    assert.match(fromCwd.stdout(), /upstreams: local\)/);
  });
});

describe(`README configuration: stdio upstreams and policy history (${storageLabel()})`, () => {
  let gw: TestGateway;
  const PROBE = [
    "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';",
    "import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';",
    "const server = new McpServer({ name: 'env-probe', version: '1.0.0' });",
    "server.tool('env', async () => ({ content: [{ type: 'text', text: JSON.stringify(process.env) }] }));",
    "await server.connect(new StdioServerTransport());",
  ].join("\n");

  before(async () => {
    process.env.GATEHOUSE_DOCS_PARENT_SECRET = "must-not-leak";
    gw = await startTestGateway({
      upstreams: { probe: { command: process.execPath, args: ["--input-type=module", "-e", PROBE], cwd: PROJECT_ROOT, env: { PROBE_SETTING: "from-config" } } },
      policies: { probe: { version: "1", default: "allow" } },
    });
  });
  after(async () => {
    delete process.env.GATEHOUSE_DOCS_PARENT_SECRET;
    await gw.close();
  });

  it("gives a stdio child only the variables in `env` plus a minimal set (PATH, HOME, …)", async () => {
    const client = await gw.connect(await gw.createToken("env-agent"));
    const env = JSON.parse(textOf(await client.callTool({ name: "env", arguments: {} }))) as Record<string, string>;
    assert.equal(env.PROBE_SETTING, "from-config");
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.GATEHOUSE_DOCS_PARENT_SECRET, undefined, "the gateway's own environment is not passed on");
    assert.equal(env.GATEHOUSE_ENCRYPTION_KEY, undefined);
  });

  it("keeps policy versions and audit checkpoints append-only: UPDATE, DELETE and TRUNCATE are refused", async () => {
    const { pool } = gw.instance.database;
    assert.ok((await pool.query("SELECT count(*)::int AS n FROM policy_versions")).rows[0].n >= 1, "the first load recorded version 1");
    await assert.rejects(pool.query("UPDATE policy_versions SET comment = 'edited'"), /policy_versions is append-only \(UPDATE refused\)/);
    await assert.rejects(pool.query("DELETE FROM policy_versions"), /policy_versions is append-only \(DELETE refused\)/);
    await assert.rejects(pool.query("TRUNCATE policy_versions"), /policy_versions is append-only \(TRUNCATE refused\)/);
    await assert.rejects(pool.query("TRUNCATE audit_checkpoints"), /audit_checkpoints is append-only \(TRUNCATE refused\)/);
  });
});

describe(`README configuration: upstreams.<name>.timeoutMs is reset by progress (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let gw: TestGateway;

  before(async () => {
    // Each reconnect step takes 250 ms and reports progress; three steps outlast the 400 ms timeout.
    upstream = await startCountingUpstream({ stepDelayMs: 250 });
    gw = await startTestGateway({ upstreams: { smartlead: { ...upstream.config, timeoutMs: 400 } }, policies: { smartlead: { version: "1", default: "allow" } } });
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  it("lets a call run longer than timeoutMs while the upstream reports progress, whether or not the agent asked for progress", async () => {
    const client = await gw.connect(await gw.createToken("slow-agent"));
    const reconnect = (ids: number[], options: Parameters<Client["request"]>[2]) =>
      client.request({ method: "tools/call", params: { name: "smartlead_reconnect_failed_email_accounts", arguments: { email_account_ids: ids } } }, CallToolResultSchema, options);
    const started = performance.now();
    const withProgress = await reconnect([502, 503, 504], { onprogress: () => {} });
    assert.notEqual(withProgress.isError, true, textOf(withProgress));
    assert.ok(performance.now() - started > 400, "the call outlived timeoutMs");
    const without = await reconnect([501, 505, 502], {});
    assert.notEqual(without.isError, true, textOf(without));
    assert.equal(upstream.runs("smartlead_reconnect_failed_email_accounts"), 2);
  });
});

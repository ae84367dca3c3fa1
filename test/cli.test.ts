// The compiled `gatehouse` binary with no gateway running, as a user meets it: local policy tools, the
// commands that work on the database directly (grants, reviewers, audit), a data directory without a
// database, a gateway.json left behind by a gateway that died, and a --help that loads nothing heavy.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { parseConfig, parseEnv, PROJECT_ROOT } from "../src/config/index.ts";
import { openStorage } from "../src/main.ts";
import { nodeFlagsOf } from "../bench/lib.ts";
import { BIN, cliEnv, gatehouse as runGatehouse } from "./helpers/cli.ts";
import { DEMO_UPSTREAM, dropSchema, storageLabel, textOf } from "./helpers/gateway.ts";

const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    smartlead_delete_campaign: { action: "deny", reason: "Deleting campaigns is done by people." },
    smartlead_no_such_tool: {},
  },
};

// Logs every module the process loads (a resolve hook), to see what `--help` pulls in.
/** Each file of the build (absolute path) → the source modules bundled into it. */
const BUNDLE_INPUTS = new Map(
  Object.entries((JSON.parse(readFileSync(join(PROJECT_ROOT, "dist/meta.json"), "utf8")) as { outputs: Record<string, { inputs: Record<string, unknown> }> }).outputs).map(
    ([file, output]) => [join(PROJECT_ROOT, file), Object.keys(output.inputs)] as const,
  ),
);

// The hook runs on the loader's own thread, whose process.stderr is relayed to the main thread
// asynchronously: lines written that way can be lost when `--help` exits at once (a flaky CI failure).
// fs.writeSync on descriptor 2 writes before the hook returns.
const MODULE_LOG_HOOK = `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent('import { writeSync } from "node:fs"; export async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, "loaded " + r.url + "\\\\n"); return r; }'));
`;

describe(`gatehouse CLI without a gateway (${storageLabel()})`, () => {
  let dir: string;
  let configFile: string;
  let policyFile: string;
  const schema = `gh_cli_${randomBytes(4).toString("hex")}`;
  const childEnv = cliEnv();
  const gatehouse = (...args: string[]) => runGatehouse(args, { cwd: dir, env: childEnv });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-cli-"));
    policyFile = join(dir, "smartlead.json");
    configFile = join(dir, "gatehouse.json");
    await writeFile(policyFile, JSON.stringify(POLICY));
    await writeFile(
      configFile,
      JSON.stringify({ upstreams: { smartlead: { ...DEMO_UPSTREAM, policy: "smartlead.json" } }, storage: { dataDir: "data", schema } }),
    );
  });
  after(async () => {
    if (process.env.DATABASE_URL) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("--help and a command for the gateway load neither the gateway, the database layer nor the MCP SDK", async () => {
    const hook = join(dir, "log-modules.mjs");
    await writeFile(hook, MODULE_LOG_HOOK);
    for (const args of [["--help"], ["approvals", "list", "--url", "http://127.0.0.1:9", "--token", "t"]]) {
      const result = spawnSync(process.execPath, ["--import", hook, BIN, ...args], { cwd: dir, env: childEnv, encoding: "utf8" });
      const loaded = result.stderr.split("\n").filter((line) => line.startsWith("loaded ")).map((line) => line.slice("loaded ".length));
      assert.ok(loaded.some((url) => url.endsWith("/dist/src/cli/main.js")), `exit ${result.status} signal ${result.signal}\n${result.stderr}`);
      // The bundle's files hold many modules each: dist/meta.json (esbuild's) says which.
      const sources = loaded.flatMap((url) => (url.startsWith("file:") ? (BUNDLE_INPUTS.get(fileURLToPath(url)) ?? [fileURLToPath(url)]) : []));
      assert.ok(sources.some((source) => source === "src/cli/program.ts"), sources.join("\n"));
      const heavy = sources.filter((source) => /node_modules\/(drizzle-orm|pg|@electric-sql|@modelcontextprotocol|express|zod|bullmq|ioredis|@slack|pino)\/|^src\/(main|db\/|proxy\/|http\/app)/.test(source));
      assert.deepEqual(heavy, [], `gatehouse ${args.join(" ")}`);
    }
    const help = await gatehouse("--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: gatehouse \[options\] \[command\]/);
    for (const command of ["start", "approvals", "audit", "policy", "grants", "reviewers", "upstreams", "db"]) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, "m"));
    const unreachable = await gatehouse("approvals", "list", "--url", "http://127.0.0.1:9", "--token", "t");
    assert.deepEqual([unreachable.code, unreachable.stderr], [1, "gatehouse: cannot reach the gateway at http://127.0.0.1:9: ECONNREFUSED\n"]);
  });

  it("runs as an executable with its V8 flags, the same ones npm start and the benchmark use", async () => {
    const flags = nodeFlagsOf(readFileSync(BIN, "utf8"));
    assert.deepEqual(flags, ["--max-semi-space-size=32"]);
    const packageJson = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(packageJson.scripts.start, `node ${flags.join(" ")} bin/gatehouse.js start`);
    // Run through its first line (env -S), as npx and a global install run it: the process has the flags.
    const printArgs = `data:text/javascript,${encodeURIComponent('process.stderr.write("execArgv " + process.execArgv.join(" ") + "\\n")')}`;
    const result = spawnSync(BIN, ["--version"], { cwd: dir, env: { ...childEnv, NODE_OPTIONS: `--import=${printArgs}` }, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^\d+\.\d+\.\d+/);
    assert.equal(/^execArgv (.*)$/m.exec(result.stderr)?.[1], flags.join(" "));
  });

  it("without a build, the binary says how to make one", async () => {
    const unbuilt = join(dir, "unbuilt", "bin");
    await mkdir(unbuilt, { recursive: true });
    await copyFile(BIN, join(unbuilt, "gatehouse.js"));
    const result = spawnSync(process.execPath, [join(unbuilt, "gatehouse.js"), "--help"], { cwd: dir, env: childEnv, encoding: "utf8" });
    assert.deepEqual([result.status, result.stderr], [1, "gatehouse: the compiled CLI is missing (dist/): run npm run build (npm install runs it too)\n"]);
  });

  it("refuses a data directory without a database, naming it, and creates nothing; db migrate creates it", async () => {
    const typo = join(dir, "dat");
    const missing = await gatehouse("grants", "list", "--data-dir", typo);
    assert.deepEqual([missing.code, missing.stderr], [1, `gatehouse: the data directory ${typo} does not exist: check --data-dir / GATEHOUSE_DATA_DIR\n`]);
    assert.equal(existsSync(typo), false, "nothing was created");
    if (process.env.DATABASE_URL) {
      const otherSchema = await runGatehouse(["audit", "list"], { cwd: dir, env: cliEnv({ GATEHOUSE_DB_SCHEMA: `${schema}_typo` }) });
      assert.equal(otherSchema.code, 1);
      assert.match(otherSchema.stderr, new RegExp(`^gatehouse: No Gatehouse tables in schema "${schema}_typo" of DATABASE_URL`));
    } else {
      await mkdir(typo);
      const empty = await gatehouse("audit", "list", "--data-dir", typo);
      assert.equal(empty.code, 1);
      assert.match(empty.stderr, new RegExp(`^gatehouse: No Gatehouse database in ${typo}: is the data directory right`));
      assert.equal(existsSync(join(typo, "pgdata")), false, "no empty database was created");
      const configured = await gatehouse("reviewers", "list");
      assert.match(configured.stderr, new RegExp(`^gatehouse: No Gatehouse database in ${join(dir, "data")}:`));
    }
    const migrated = await gatehouse("db", "migrate");
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, new RegExp(`^Migrations applied \\((embedded|postgres|postgres\\+redis), schema ${schema}\\)\\.`));
  });

  it("approvals and upstreams need a running gateway; a gateway.json left by a dead gateway is ignored", async () => {
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid!;
    await mkdir(join(dir, "data"), { recursive: true });
    await writeFile(join(dir, "data", "gateway.json"), JSON.stringify({ url: "http://127.0.0.1:9", pid: deadPid, startedAt: new Date().toISOString() }));
    for (const args of [["approvals", "list"], ["upstreams", "list"]]) {
      const result = await gatehouse(...args);
      assert.equal(result.code, 1, args.join(" "));
      assert.equal(result.stderr, `gatehouse: no running gateway found (no live ${join(dir, "data", "gateway.json")}): start one with \`gatehouse start\`, or pass --url (or set GATEHOUSE_URL)\n`);
    }
    const offline = await gatehouse("grants", "list");
    assert.deepEqual([offline.code, offline.stdout], [0, "No grants. Create one with: gatehouse grants create --name <name>\n"]);
  });

  it("policy check accepts a valid file and warns about keys that match no upstream tool", async () => {
    const plain = await gatehouse("policy", "check", policyFile);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /smartlead\.json: valid/);
    const withTools = await gatehouse("policy", "check", policyFile, "--config", configFile);
    assert.equal(withTools.code, 0, withTools.stderr);
    assert.match(withTools.stderr, /warning: .*smartlead_no_such_tool/);
  });

  it("policy check names the file, the JSON path and the problem", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ version: "1", tools: { smartlead_get_campaign: { action: "permit" } } }));
    const result = await gatehouse("policy", "check", bad);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bad\.json: \/tools\/smartlead_get_campaign\/action: /);
  });

  it("policy explain prints the decision as JSON", async () => {
    const result = await gatehouse("policy", "explain", "--policy", policyFile, "--tool", "smartlead_delete_campaign", "--args", '{"campaign_id":1}', "--json");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { decision: "deny", rule: "/tools/smartlead_delete_campaign", reason: "Deleting campaigns is done by people." });
    const allowed = await gatehouse("policy", "explain", "--policy", policyFile, "--tool", "smartlead_get_campaign", "--json");
    assert.equal(JSON.parse(allowed.stdout).decision, "allow");
    const badArgs = await gatehouse("policy", "explain", "--policy", policyFile, "--tool", "x", "--args", "{nope");
    assert.equal(badArgs.code, 2);
    assert.match(badArgs.stderr, /--args is not valid JSON/);
  });

  it("policy init builds a starter policy from the upstream's tools/list", async () => {
    const result = await gatehouse("policy", "init", "--upstream", "smartlead", "--config", configFile, "--default", "deny");
    assert.equal(result.code, 0, result.stderr);
    const starter = JSON.parse(result.stdout) as { default: string; tools: Record<string, { action?: string }> };
    assert.deepEqual(starter.tools.smartlead_get_campaign, {}, "readOnlyHint → allow");
    assert.equal(starter.tools.smartlead_delete_campaign?.action, "require_approval", "destructiveHint → require_approval");
    assert.equal(starter.default, "deny");
  });

  it("grants create prints a token once, list shows it, revoke disables it; stdio serves the grant; audit sees the calls", async () => {
    const created = await gatehouse("grants", "create", "--name", "desktop", "--config", configFile);
    assert.equal(created.code, 0, created.stderr);
    const token = /(ghk_[A-Za-z0-9_-]+)/.exec(created.stdout)?.[1];
    assert.ok(token, created.stdout);
    const duplicate = await gatehouse("grants", "create", "--name", "desktop", "--config", configFile);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);

    const client = new Client({ name: "desktop-test", version: "1" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, "stdio", "--config", configFile, "--grant", "desktop"], cwd: dir, env: childEnv, stderr: "ignore" }));
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("smartlead_get_campaign"));
      assert.ok(!names.includes("smartlead_delete_campaign"));
      const allowed = await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} });
      assert.equal(allowed.isError, undefined, textOf(allowed));
      const denied = await client.callTool({ name: "smartlead_delete_campaign", arguments: { campaign_id: 1 } });
      assert.equal(textOf(denied), "Deleting campaigns is done by people.");
    } finally {
      await client.close();
    }

    const listed = await gatehouse("audit", "list", "--config", configFile, "--grant", "desktop", "--format", "json");
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as Array<{ tool: string; decision: string }>;
    assert.deepEqual(rows.map((r) => `${r.tool}:${r.decision}`).sort(), ["smartlead_delete_campaign:deny", "smartlead_get_all_email_accounts:allow"]);
    const csv = await gatehouse("audit", "list", "--config", configFile, "--decision", "deny", "--format", "csv");
    assert.match(csv.stdout.split("\n")[0] ?? "", /tool/);
    assert.equal(csv.stdout.trim().split("\n").length, 2, csv.stdout);

    const revoked = await gatehouse("grants", "revoke", "desktop", "--config", configFile);
    assert.equal(revoked.code, 0, revoked.stderr);
    const list = await gatehouse("grants", "list", "--config", configFile);
    assert.match(list.stdout, /desktop\s+revoked/);
  });

  it("audit list refuses an absurd --since with a clear message and exit 2, no stack trace", async () => {
    const since = await gatehouse("audit", "list", "--config", configFile, "--since", "99999999d");
    assert.equal(since.code, 2);
    assert.equal(
      since.stderr.trim(),
      "gatehouse: option '--since <when>' argument '99999999d' is invalid. \"99999999d\" reaches back before 1970-01-01: use a duration such as 30m, 1h, 2d, 1w or an ISO date such as 2025-01-31T09:00:00Z.",
    );
  });

  it("audit verify passes on an intact chain and names the first row edited behind its back", async () => {
    const intact = await gatehouse("audit", "verify", "--config", configFile);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /Audit chain: \d+ events, intact\nHead: seq \d+ hash [0-9a-f]{64}/);

    // Tamper the way someone with SQL access would: disable the append-only trigger, edit a row.
    const config = parseConfig(JSON.stringify({ upstreams: { smartlead: DEMO_UPSTREAM }, storage: { dataDir: join(dir, "data"), schema } }), configFile);
    const storage = await openStorage(config, parseEnv(childEnv));
    let seq: number;
    try {
      const { pool } = storage.database;
      // Grants created and revoked on the database directly are audited like the API's, as admin.
      const managed = await pool.query<{ type: string; actor: string }>("SELECT type, actor FROM audit_events WHERE type LIKE 'grant.%' ORDER BY seq");
      assert.deepEqual(managed.rows.map((r) => `${r.type} by ${r.actor}`), ["grant.created by admin", "grant.revoked by admin"]);
      const target = await pool.query<{ seq: string }>("SELECT seq FROM audit_events WHERE decision = 'deny' ORDER BY seq LIMIT 1");
      seq = Number(target.rows[0]!.seq);
      await pool.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete");
      await pool.query("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = $1", [seq]);
      await pool.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete");
    } finally {
      await storage.close();
    }
    const broken = await gatehouse("audit", "verify", "--config", configFile);
    assert.equal(broken.code, 1, "problems found exit 1 (2 is a usage error)");
    assert.match(broken.stdout, new RegExp(`BROKEN at seq ${seq}\\b`));
    assert.match(broken.stderr, new RegExp(`chain: row seq ${seq} .*edited after it was written`));
  });
});

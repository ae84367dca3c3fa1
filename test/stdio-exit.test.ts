// `gatehouse stdio` as desktop clients run it: the client ends the session by closing stdin, and the
// process must then record what that means (a held call it was waiting for is cancelled, in the rows and in
// the audit chain) and exit 0. Started with state other than the running gateway's, it says so on stderr.
// Needs dist/ (`node scripts/build.js`).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ADMIN_TOKEN, reconnectApprovalFor } from "./helpers/approvals.ts";
import { BIN } from "./helpers/cli.ts";
import { dropSchema, startTestGateway, storageLabel, TEST_ENCRYPTION_KEY, type TestGateway } from "./helpers/gateway.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } } } };
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-stdio", version: "1" } } };

describe(`gatehouse stdio: ending the session and whose state it uses (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let dir: string;
  let stateDir: string;
  let gw: TestGateway;
  const extraSchemas: string[] = [];

  /** What a desktop client gives the process: little more than PATH and HOME, plus storage when it runs on PostgreSQL. */
  const childEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: process.env.PATH ?? "",
    HOME: dir,
    LOG_LEVEL: "warn",
    GATEHOUSE_STATE_DIR: stateDir,
    GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...extra,
  });
  const stdioArgs = (configFile: string, grant: string) => [BIN, "stdio", "--config", configFile, "--grant", grant];

  const approvalFor = (ids: number[]) => reconnectApprovalFor(gw, ids);

  /** The audit row of the call behind an approval, as `GET /api/audit/calls` shows it (with its chain check). */
  const auditedCall = async (approvalId: string) => {
    const response = await fetch(`${gw.url}/api/audit/calls?tool=${RECONNECT}&limit=100`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const page = (await response.json()) as { rows: Array<{ status: string; approval: { id: string; status: string } | null; integrity: { ok: boolean; problems: string[] } }> };
    return page.rows.find((row) => row.approval?.id === approvalId);
  };

  before(async () => {
    upstream = await startCountingUpstream();
    // A real data directory: stdio children join this gateway's embedded database through <dir>/data/embedded.json.
    dir = await mkdtemp(join(tmpdir(), "gatehouse-stdio-exit-"));
    stateDir = join(dir, "state");
    gw = await startTestGateway({
      upstreams: { smartlead: upstream.config },
      policies: { smartlead: POLICY },
      extraConfig: { approvals: { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 2, heartbeatSeconds: 0.5, maxWaitSeconds: 120 } },
      dir,
      env: { GATEHOUSE_STATE_DIR: stateDir },
    });
    await gw.createToken("desktop");
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    for (const schema of extraSchemas) await dropSchema(schema);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 when an SDK client closes, and the call it was waiting for is cancelled in the rows and the audit chain", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: stdioArgs(gw.configFile, "desktop"), env: childEnv(), stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: "desktop-app", version: "1.0.0" });
    await client.connect(transport);
    // The SDK keeps its child private and forgets it when close() starts: take it now to read the exit code.
    const child = (transport as unknown as { _process: ChildProcess })._process;
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    assert.ok((await client.listTools()).tools.some((t) => t.name === RECONNECT));

    const call = client.callTool({ name: RECONNECT, arguments: { email_account_ids: [601] } }).then(
      () => "answered",
      (error: Error) => error.message,
    );
    const approval = await approvalFor([601]);
    await client.close();
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr: ${stderr}`);
    assert.match(await call, /Connection closed/);

    const after = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(after?.status, "cancelled");
    assert.equal(after?.decidedBy, "client");
    assert.match(after?.decisionReason ?? "", /the agent's client cancelled the call/);
    const row = await auditedCall(approval.id);
    assert.deepEqual(row?.integrity, { ok: true, problems: [], unverified: [] });
    assert.equal(row?.approval?.status, "cancelled");
    assert.equal(upstream.runs(RECONNECT), 0, "nothing ran");
    assert.doesNotMatch(stderr, /gatehouse stdio: this process keeps its state/, "it uses the running gateway's state: nothing to report");
  });

  it("exits 0 by itself when a raw client ends stdin mid-call, having recorded the cancel", async () => {
    const child = spawn(process.execPath, stdioArgs(gw.configFile, "desktop"), { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send(INIT);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [602] } } });
    // Ends stdin the moment the approval exists: while the hold is still being set up.
    const approval = await approvalFor([602]);
    child.stdin.end();
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr: ${stderr}`);
    assert.doesNotMatch(stderr, /"level":50|could not/, "no error logged while ending");

    const after = await gw.instance.approvals.repo.get(approval.id);
    assert.equal(after?.status, "cancelled");
    const row = await auditedCall(approval.id);
    assert.deepEqual(row?.integrity, { ok: true, problems: [], unverified: [] });
  });

  it("exits 0 when stdin ends right behind a held call, leaving nothing half-recorded", async () => {
    const child = spawn(process.execPath, stdioArgs(gw.configFile, "desktop"), { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const messages = [INIT, { jsonrpc: "2.0", method: "notifications/initialized" }, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [603] } } }];
    // All of it, then end of file: the call starts while the session is already ending.
    child.stdin.end(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr: ${stderr}`);
    assert.doesNotMatch(stderr, /"level":50|could not/, "no error logged while ending");

    const approval = await approvalFor([603]);
    assert.equal(approval.status, "cancelled");
    const row = await auditedCall(approval.id);
    assert.deepEqual(row?.integrity, { ok: true, problems: [], unverified: [] });
  });

  it("on SIGTERM answers the held call with the pending answer, leaves its approval open and exits 0", async () => {
    const child = spawn(process.execPath, stdioArgs(gw.configFile, "desktop"), { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send(INIT);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [604] } } });
    const approval = await approvalFor([604]);
    child.kill("SIGTERM");
    assert.deepEqual(await exited, [0, null]);
    const answer = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { id?: number; result?: { content: Array<{ text: string }> } })
      .find((message) => message.id === 2);
    assert.match(answer?.result?.content[0]?.text ?? "", /Gatehouse is restarting; nothing was lost\./);
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");
  });

  it("exits 0 when stdin ends right after initialize", async () => {
    const child = spawn(process.execPath, stdioArgs(gw.configFile, "desktop"), { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    let stdout = "";
    const initialized = new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"serverInfo"')) resolve();
      }),
    );
    child.stdin.write(`${JSON.stringify(INIT)}\n`);
    await initialized;
    child.stdin.end();
    assert.deepEqual(await exited, [0, null]);
  });

  it("a gateway leaves an owner-only pointer to its state while it runs, and removes it when it stops", async () => {
    const ownState = join(dir, "own-state");
    await mkdir(join(dir, "second"));
    const other = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, dir: join(dir, "second"), env: { GATEHOUSE_STATE_DIR: ownState } });
    const running = join(ownState, "running");
    try {
      const [name, ...more] = await readdir(running);
      assert.deepEqual(more, []);
      const pointer = JSON.parse(await readFile(join(running, name!), "utf8")) as { dataDir: string; storage: string; configFile: string };
      assert.equal(pointer.dataDir, join(dir, "second", "data"));
      assert.equal(pointer.configFile, other.configFile);
      assert.match(pointer.storage, process.env.DATABASE_URL ? /^postgres:\/\/[^@]+\?schema=gh_t_\w+$/ : new RegExp(`^embedded:${escape(pointer.dataDir)}$`));
      assert.equal((await stat(running)).mode & 0o777, 0o700);
      assert.equal((await stat(join(running, name!))).mode & 0o777, 0o600);
    } finally {
      await other.close();
    }
    assert.deepEqual(await readdir(running), []);
  });

  describe("started on other state than the running gateway's", () => {
    let otherConfig: string;
    let otherDir: string;

    before(async () => {
      // Another folder's gatehouse.json with the same upstream: its own data directory (embedded) or schema (PostgreSQL).
      otherDir = join(dir, "elsewhere");
      await mkdir(otherDir, { recursive: true });
      const schema = `gh_t_other_${process.pid}`;
      extraSchemas.push(...(process.env.DATABASE_URL ? [schema] : []));
      const policyFile = join(otherDir, "smartlead.policy.json");
      await writeFile(policyFile, JSON.stringify(POLICY));
      otherConfig = join(otherDir, "gatehouse.json");
      await writeFile(otherConfig, JSON.stringify({ upstreams: { smartlead: { ...upstream.config, policy: policyFile } }, grants: [{ name: "local", token: "${LOCAL_TOKEN}" }], storage: { schema } }));
    });

    const runUntilInitialized = async (env: Record<string, string>) => {
      const child = spawn(process.execPath, stdioArgs(otherConfig, "local"), { cwd: otherDir, env: childEnv({ LOCAL_TOKEN: "local-token-0123456789", ...env }), stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      let stdout = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      const initialized = new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('"serverInfo"')) resolve();
        }),
      );
      child.stdin.write(`${JSON.stringify(INIT)}\n`);
      await Promise.race([initialized, exited.then(() => assert.fail(`stdio exited early: ${stderr}`))]);
      child.stdin.end();
      return { exit: await exited, stderr };
    };

    it("says in one line on stderr which gateway runs where, and how to join it", async () => {
      // Without GATEHOUSE_STATE_DIR the pointers are read from ~/.local/state/gatehouse (HOME is `dir` here).
      await mkdir(join(dir, ".local", "state"), { recursive: true });
      await symlink(stateDir, join(dir, ".local", "state", "gatehouse"));
      const { exit, stderr } = await runUntilInitialized({ GATEHOUSE_STATE_DIR: "" });
      assert.deepEqual(exit, [0, null]);
      const gatewayPid = process.pid;
      const lines = stderr.split("\n").filter((line) => line.startsWith("gatehouse stdio:"));
      assert.equal(lines.length, 1, stderr);
      const [line] = lines;
      const gatewayData = join(dir, "data");
      if (process.env.DATABASE_URL) {
        assert.doesNotMatch(line!, /@/, "no user name or password from DATABASE_URL");
        assert.match(line!, new RegExp(`keeps its state in PostgreSQL \\S+ \\(schema gh_t_other_${process.pid}\\), but the gateway running at ${escape(gw.url)} \\(pid ${gatewayPid}\\) keeps its state in PostgreSQL \\S+ \\(schema gh_t_\\w+\\)`));
        assert.match(line!, new RegExp(`start stdio with DATABASE_URL pointing at that database and --config ${escape(gw.configFile)}`));
      } else {
        assert.match(line!, new RegExp(`keeps its state in the embedded database in ${escape(join(otherDir, ".gatehouse"))}, but the gateway running at ${escape(gw.url)} \\(pid ${gatewayPid}\\) keeps its state in the embedded database in ${escape(gatewayData)}`));
        assert.match(line!, new RegExp(`start stdio with --data-dir ${escape(gatewayData)} --config ${escape(gw.configFile)}\\.$`));
      }
      assert.match(line!, /they do not share grants, held calls or the audit log/);
    });

    it("says nothing when no gateway runs, and deletes the pointer a stopped gateway left", async () => {
      const quietState = join(dir, "quiet-state");
      const stale = join(quietState, "running", "0123456789abcdef.json");
      await mkdir(join(quietState, "running"), { recursive: true });
      await writeFile(stale, JSON.stringify({ dataDir: join(dir, "gone"), storage: `embedded:${join(dir, "gone")}`, configFile: null }));
      const { exit, stderr } = await runUntilInitialized({ GATEHOUSE_STATE_DIR: quietState });
      assert.deepEqual(exit, [0, null]);
      assert.doesNotMatch(stderr, /gatehouse stdio:/);
      assert.equal(existsSync(stale), false);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

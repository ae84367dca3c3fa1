// The compiled `gatehouse` binary against a running gateway, as a user meets it: it finds the gateway from
// gatehouse.json in the data directory with no flags, decides a held call while the agent waits, lists in
// three formats, and ends with exit 0, 1 (the gateway refused) or 2 (bad command line) and one clear line.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { cliEnv, csvRows, gatehouse } from "./helpers/cli.ts";
import { DEMO_UPSTREAM, dropSchema, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { spawnGateway, waitUntil } from "./helpers/process.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { min_approvals: 1 } },
    smartlead_delete_campaign: { action: "deny", reason: "Deleting campaigns is done by people." },
  },
};

describe(`gatehouse CLI against a running gateway (${storageLabel()})`, () => {
  let dir: string;
  let gw: TestGateway;
  let agentToken: string;
  const env = cliEnv({ GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN });
  /** Run in the gateway's folder: its gatehouse.json names the data directory that holds gateway.json. */
  const cli = (...args: string[]) => gatehouse(args, { cwd: dir, env });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-cli-online-"));
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS }, dir });
    agentToken = await gw.createToken("cli-agent");
  });
  after(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("finds the running gateway through gateway.json in the data directory, with no flags", async () => {
    const advertised = JSON.parse(await readFile(join(dir, "data", "gateway.json"), "utf8")) as Record<string, unknown>;
    assert.equal(advertised.url, gw.url);
    assert.equal(advertised.pid, process.pid);
    assert.equal(advertised.adminToken, undefined, "a token set in GATEHOUSE_ADMIN_TOKEN is never written to disk");

    const listed = await cli("upstreams", "list");
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+STATE\s+TOOLS/);
    assert.match(listed.stdout, /\nsmartlead\s+ready\s/);
    const elsewhere = await gatehouse(["approvals", "list", "--data-dir", join(dir, "data")], { cwd: tmpdir(), env });
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.equal(elsewhere.stdout, "No approvals with status pending.\n");
    const byUrl = await gatehouse(["approvals", "list", "--token", ADMIN_TOKEN], { cwd: tmpdir(), env: cliEnv({ GATEHOUSE_URL: gw.url }) });
    assert.equal(byUrl.code, 0, byUrl.stderr);
    const noToken = await gatehouse(["approvals", "list", "--url", gw.url], { cwd: tmpdir(), env: cliEnv() });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /^gatehouse: Send Authorization: Bearer <token>/);
  });

  it("approves a held call while the agent waits: the agent gets the upstream's result", async () => {
    const agent = await gw.connect(agentToken);
    const pending = nextApproval(gw);
    const held = agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } });
    const approval = await pending;
    // The hold registers the waiting agent just after it publishes the new approval; no event marks it.
    await waitUntil(() => gw.instance.approvals.repo.get(approval.id), (a) => a?.agent.isWaiting === true);

    const table = await cli("approvals", "list");
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+STATUS\s+UPSTREAM\s+TOOL\s+GRANT\s+VOTES\s+AGENT_WAITING/);
    assert.match(table.stdout, new RegExp(`\\n${approval.id}\\s+pending\\s+smartlead\\s+${RECONNECT}\\s+cli-agent\\s+0/1\\s+yes\\s`));
    const json = JSON.parse((await cli("approvals", "list", "--format", "json")).stdout) as Array<{ id: string; argsRedacted: unknown }>;
    assert.deepEqual(json.map((a) => [a.id, a.argsRedacted]), [[approval.id, { email_account_ids: [501] }]]);
    const csv = csvRows((await cli("approvals", "list", "--format", "csv")).stdout);
    assert.deepEqual(csv[0]?.slice(0, 5), ["id", "status", "upstream", "tool", "grant"]);
    assert.deepEqual(csv[1]?.slice(0, 5), [approval.id, "pending", "smartlead", RECONNECT, "cli-agent"]);
    const shown = await cli("approvals", "show", approval.id);
    assert.match(shown.stdout, /^ {2}Arguments {3}\{"email_account_ids":\[501\]\}$/m);
    assert.match(shown.stdout, /^ {2}Agent {7}waiting for the answer/m);
    assert.match(shown.stdout, /^ {2}Chain {7}this row and its votes agree with the audit chain$/m);

    const approved = await cli("approvals", "approve", approval.id, "--reason", "checked the account");
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.stdout, `Voted as admin.\nApproval ${approval.id} is now approved.\n`);
    const result = await held;
    assert.equal(result.isError, undefined, textOf(result));
    assert.match(textOf(result), /501/);
    // The API counts the decision as made from the CLI (X-Gatehouse-Client: cli).
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /gatehouse_approval_decisions_total\{[^}]*channel="cli"[^}]*\} 1/);

    const again = await cli("approvals", "deny", approval.id);
    assert.equal(again.code, 1, "409 from the gateway");
    assert.match(again.stderr, new RegExp(`^gatehouse: Approval ${approval.id} is already (approved|executing|succeeded); nothing changed\\.\\n$`));
  });

  it("denies a held call with a reason: the agent is told the reason", async () => {
    const agent = await gw.connect(agentToken);
    const pending = nextApproval(gw);
    const held = agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [502] } });
    const approval = await pending;
    const denied = await cli("approvals", "deny", approval.id, "-r", "not during the migration");
    assert.equal(denied.code, 0, denied.stderr);
    assert.match(denied.stdout, new RegExp(`Approval ${approval.id} is now denied\\.`));
    const result = await held;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /not during the migration/);
  });

  it("lists grants, the audit and policy versions as a table, JSON and CSV", async () => {
    const grants = await cli("grants", "list");
    assert.match(grants.stdout, /^NAME\s+STATE\s+OWNER\s+CREATED_AT\s+REVOKED_AT\ncli-agent\s+active\s+-\s/);
    assert.deepEqual(
      (JSON.parse((await cli("grants", "list", "--format", "json")).stdout) as Array<{ name: string }>).map((g) => g.name),
      ["cli-agent"],
    );
    assert.deepEqual(csvRows((await cli("grants", "list", "--format", "csv")).stdout)[1]?.slice(0, 2), ["cli-agent", "active"]);

    const audit = await cli("audit", "list", "--tool", RECONNECT);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /^ID\s+TIME\s+GRANT\s+UPSTREAM\s+TOOL\s+DECISION\s+STATUS/);
    const rows = JSON.parse((await cli("audit", "list", "--tool", RECONNECT, "--format", "json")).stdout) as Array<{ id: string; status: string }>;
    assert.deepEqual(rows.map((r) => r.status).sort(), ["denied", "succeeded"]);
    const csv = csvRows((await cli("audit", "export", "--tool", RECONNECT)).stdout);
    assert.equal(csv.length, 3, "a header and two calls");
    const story = await cli("audit", "show", rows.find((r) => r.status === "succeeded")!.id);
    assert.equal(story.code, 0, story.stderr);
    assert.match(story.stdout, /checked the account/);

    const verified = await cli("audit", "verify");
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^Audit chain: \d+ events, intact\nHead: seq (\d+) hash ([0-9a-f]{64})/);
    const [, seq, hash] = /Head: seq (\d+) hash ([0-9a-f]{64})/.exec(verified.stdout)!;
    assert.match((await cli("audit", "verify", "--expect-head", `${seq}:${hash}`)).stdout, new RegExp(`Expected head seq ${seq}: present, unchanged`));
    const key = await cli("audit", "public-key");
    assert.match(key.stdout, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(key.stderr, `key id ${gw.instance.auditCheckpoints.keyId}\n`);
  });

  it("reads, tries out, saves and rolls back a policy; saves are recorded as made from the CLI", async () => {
    const stricter = join(dir, "stricter.json");
    await writeFile(stricter, JSON.stringify({ ...POLICY, tools: { ...POLICY.tools, "smartlead_get_*": { action: "deny", reason: "reads paused" } } }));
    const shown = await cli("policy", "show", "smartlead");
    assert.deepEqual(JSON.parse(shown.stdout), POLICY);

    const valid = await cli("policy", "validate", stricter, "--upstream", "smartlead");
    assert.equal(valid.code, 0, valid.stderr);
    assert.equal(valid.stdout, `${stricter}: valid for "smartlead"\n`);
    const diff = await cli("policy", "diff", "smartlead", stricter);
    assert.match(diff.stdout, /^-.*"smartlead_get_\*": \{\}/m);
    assert.match(diff.stdout, /^toolsChanged: smartlead_get_\*$/m);
    const dryRun = await cli("policy", "dry-run", "smartlead", stricter);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.match(dryRun.stdout, /^Replayed the last \d+ audited call\(s\) of "smartlead" \(at most 200\): \d+ decision\(s\) change\./);

    const before = await cli("policy", "effective", "smartlead", "--format", "csv");
    assert.ok(csvRows(before.stdout).some((row) => row[0] === "smartlead_get_campaign" && row[1] === "allow"), before.stdout);
    const applied = await cli("policy", "apply", "smartlead", stricter, "-m", "pause reads");
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^Policy of "smartlead": saved .*stricter\.json as version (\d+); in force on the gateway now\.\n$/);
    const after = await cli("policy", "effective", "smartlead", "--format", "json");
    const tool = (JSON.parse(after.stdout) as { tools: Array<{ tool: string; decision: string }> }).tools.find((t) => t.tool === "smartlead_get_campaign");
    assert.equal(tool?.decision, "deny");

    const versions = await cli("policy", "versions", "smartlead", "--format", "json");
    const newest = (JSON.parse(versions.stdout) as Array<{ version: number; source: string; comment: string | null }>)[0];
    assert.deepEqual([newest?.source, newest?.comment], ["cli", "pause reads"]);
    const rolledBack = await cli("policy", "rollback", "smartlead", String(newest!.version - 1));
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.match(rolledBack.stdout, new RegExp(`restored version ${newest!.version - 1} as version ${newest!.version + 1}; in force`));

    const broken = join(dir, "broken.json");
    await writeFile(broken, JSON.stringify({ version: "1", tools: { smartlead_get_campaign: { action: "permit" } } }));
    const refused = await cli("policy", "apply", "smartlead", broken);
    assert.equal(refused.code, 1, "422 from the gateway");
    assert.match(refused.stderr, /^gatehouse: The policy has 1 problem\n {2}\/tools\/smartlead_get_campaign\/action: /);
  });

  it("ends with exit 1 and the gateway's one-line detail when the gateway refuses", async () => {
    const unknown = await cli("approvals", "show", "00000000-0000-4000-8000-000000000000");
    assert.deepEqual([unknown.code, unknown.stderr], [1, "gatehouse: No approval 00000000-0000-4000-8000-000000000000\n"]);
    const noUpstream = await cli("upstreams", "tools", "nope");
    assert.deepEqual([noUpstream.code, noUpstream.stderr], [1, 'gatehouse: No upstream named "nope"\n']);
    const badToken = await cli("grants", "list", "--token", "not-a-token");
    assert.equal(badToken.code, 1);
    assert.equal(badToken.stderr.split("\n").length, 2, "one line");
  });

  it("refuses bad command lines with one line and exit 2, before asking the gateway", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["approvals", "list", "--format", "xml"], /^gatehouse: option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, json, csv\.$/],
      [["audit", "list", "--since", "yesterday"], /^gatehouse: option '--since <when>' argument 'yesterday' is invalid\. Cannot read "yesterday" as a time/],
      [["audit", "list", "--limit", "abc"], /^gatehouse: option '--limit <n>' argument 'abc' is invalid\. Expected a positive whole number\.$/],
      [["approvals", "list", "--status", "pending,maybe"], /^gatehouse: option '--status <statuses>' argument 'pending,maybe' is invalid\. Unknown status maybe/],
      [["audit", "verify", "--expect-head", "12"], /^gatehouse: option '--expect-head <seq:hash>' argument '12' is invalid\. --expect-head must be <seq>:<hash>/],
      [["aprovals", "list"], /^gatehouse: unknown command 'aprovals' \(Did you mean approvals\?\)$/],
      [["approvals", "list", "--bogus"], /^gatehouse: unknown option '--bogus'$/],
      [["approvals", "approve"], /^gatehouse: missing required argument 'id'$/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr.trimEnd(), message, args.join(" "));
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, `${args.join(" ")}: one line, no stack trace:\n${result.stderr}`);
      assert.equal(result.stdout, "");
    }
  });
});

describe(`gatehouse start (the demo) and the CLI in the same folder (${storageLabel()})`, () => {
  it("the CLI finds the demo gateway with no flags and no token; gateway.json is gone once it stops", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "gatehouse-cli-demo-"));
    const schema = `gh_cli_demo_${randomBytes(4).toString("hex")}`;
    const gateway = await spawnGateway(null, process.env.DATABASE_URL ? { GATEHOUSE_DB_SCHEMA: schema } : {}, { cwd });
    try {
      const adminToken = /Admin token {4}(\S+)/.exec(gateway.stdout())?.[1];
      assert.ok(adminToken, gateway.stdout());
      const file = join(cwd, ".gatehouse", "gateway.json");
      assert.deepEqual(
        (({ url, adminToken }) => ({ url, adminToken }))(JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>),
        { url: gateway.url, adminToken },
        "the demo's generated admin token is kept next to the gateway for the local CLI",
      );
      const plain = { cwd, env: cliEnv() };
      const approvals = await gatehouse(["approvals", "list"], plain);
      assert.deepEqual([approvals.code, approvals.stdout], [0, "No approvals with status pending.\n"], approvals.stderr);
      const grants = await gatehouse(["grants", "list"], plain);
      assert.match(grants.stdout, /\ndemo\s+active\s/, grants.stderr);
      await gateway.stop();
      assert.equal(gateway.child.exitCode, 0);
      assert.equal(existsSync(file), false, "removed on a clean stop");
      const after = await gatehouse(["approvals", "list"], plain);
      assert.equal(after.code, 1);
      assert.match(after.stderr, /^gatehouse: no running gateway found/);
    } finally {
      await gateway.kill();
      await rm(cwd, { recursive: true, force: true });
      if (process.env.DATABASE_URL) await dropSchema(schema);
    }
  });
});

// Policy administration through the real gateway: real policy files, a real upstream, real MCP calls.
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { createAuditWriter } from "../src/audit/index.ts";
import { silentLogger } from "../src/log/index.ts";
import { createMetrics } from "../src/metrics/index.ts";
import type { PolicyAdmin, PolicyVersionEvent } from "../src/policies/index.ts";
import { createPolicyAdmin, isPolicyRefusal, validatePolicyText, writeFileAtomic } from "../src/policies/index.ts";
import { loadPolicies } from "../src/proxy/index.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const LIST = "smartlead_list_campaigns";
const GET = "smartlead_get_campaign";
const DELETE = "smartlead_delete_campaign";
const pretty = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;
const V1 = pretty({ version: "1", default: "deny", tools: { [LIST]: {}, [GET]: {} } });

describe(`policy administration (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let gw: TestGateway;
  let admin: PolicyAdmin;
  let file: string;
  let agent: Client;

  before(async () => {
    upstream = await startCountingUpstream();
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: V1 } });
    admin = gw.instance.policyAdmin;
    file = gw.instance.config.upstreams[0]!.policyFile;
    agent = await gw.connect(await gw.createToken("policy-agent"));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });
  const nextVersion = () =>
    new Promise<PolicyVersionEvent>((resolve) => {
      const stop = admin.subscribe((event) => {
        stop();
        resolve(event);
      });
    });
  const recordedCall = async (tool: string, campaignId: number) => {
    const { rows } = await gw.instance.database.pool.query<{ id: string; decision: string }>(
      "SELECT id, decision FROM tool_calls WHERE tool = $1 AND args_redacted->>'campaign_id' = $2",
      [tool, String(campaignId)],
    );
    assert.equal(rows.length, 1, `one call to ${tool} for campaign ${campaignId}`);
    return rows[0]!;
  };
  const callId = async (tool: string, campaignId: number) => (await recordedCall(tool, campaignId)).id;
  /** The gateway's decision for a call (the demo upstream answers unknown campaigns with an error). */
  const decisionFor = async (client: Client, tool: string, campaignId: number) => {
    await call(client, tool, { campaign_id: campaignId });
    return (await recordedCall(tool, campaignId)).decision;
  };

  it("records the policy found at start as version 1, by the system", async () => {
    const history = await admin.history("smartlead");
    assert.ok(!isPolicyRefusal(history));
    assert.deepEqual(
      history.versions.map((v) => [v.version, v.source, v.createdBy]),
      [[1, "file", "system"]],
    );
    const current = await admin.get("smartlead");
    assert.ok(!isPolicyRefusal(current));
    assert.equal(current.content, V1);
    assert.equal(current.contentVersion, 1);
    assert.equal(current.version, 1);
    assert.equal(current.isLoaded, true);
    assert.equal(current.isCurrent, true);
    const listed = await admin.list();
    assert.deepEqual(
      listed.policies.map((p) => [p.upstream, p.file, p.version, p.isLoaded, p.errors]),
      [["smartlead", file, 1, true, null]],
    );
    assert.deepEqual(await admin.get("nope"), { ok: false, code: "not_found", detail: 'No upstream named "nope"' });
  });

  it("validate reports each problem with its JSON pointer, line and column; and tools the upstream lacks as warnings", async () => {
    const bad = pretty({ version: "1", tools: { [LIST]: { actoin: "deny" }, [GET]: { limits: [{ counter: "c", window: "year", max: 1 }] } } });
    const report = await admin.validate("smartlead", bad);
    assert.ok(!isPolicyRefusal(report));
    assert.equal(report.ok, false);
    assert.deepEqual(report.issues, [
      { path: `/tools/${LIST}/actoin`, message: 'Unrecognized key: "actoin"', line: 5, column: 7 },
      { path: `/tools/${GET}/limits/0/window`, message: 'Invalid option: expected one of "second"|"minute"|"hour"|"day"', line: 11, column: 11 },
    ]);
    const syntax = await admin.validate("smartlead", '{\n  "version": "1",\n}');
    assert.ok(!isPolicyRefusal(syntax));
    assert.deepEqual(syntax.issues, [{ path: "", message: 'invalid JSON at line 3, column 1: unexpected "}", expected a double-quoted property name', line: 3, column: 1 }]);

    const typo = await admin.validate("smartlead", pretty({ version: "1", tools: { smartlead_list_campaign: {} } }));
    assert.ok(!isPolicyRefusal(typo));
    assert.equal(typo.ok, true);
    assert.deepEqual(typo.warnings, [{ path: "/tools/smartlead_list_campaign", message: '"smartlead_list_campaign" matches no tool of the upstream' }]);
  });

  it("diff shows the change against the current version", async () => {
    const candidate = pretty({ version: "1", default: "deny", tools: { [GET]: {}, [DELETE]: { action: "deny" } } });
    const result = await admin.diff("smartlead", candidate);
    assert.ok(!isPolicyRefusal(result));
    assert.equal(result.fromVersion, 1);
    assert.match(result.diff, /^- {4}"smartlead_list_campaigns": \{\},$/m);
    assert.match(result.diff, /^\+ {4}"smartlead_delete_campaign": \{$/m);
    assert.deepEqual(result.summary, { toolsAdded: [DELETE], toolsRemoved: [LIST], toolsChanged: [], fieldsChanged: [] });
  });

  it("save writes the file atomically (mode kept, no temporary file left), audits it, and the next call is decided by it", async () => {
    assert.equal((await call(agent, LIST)).isError, undefined);
    await chmod(file, 0o640);
    const v2 = pretty({ version: "1", default: "deny", tools: { [LIST]: { action: "deny", reason: "Listing is paused." }, [GET]: {} } });
    const saved = await admin.save("smartlead", v2, { by: "reviewer:alice", comment: "pause listing", expectedVersion: 1, source: "dashboard" });
    assert.ok(!isPolicyRefusal(saved), JSON.stringify(saved));
    assert.equal(saved.version.version, 2);
    assert.equal(saved.isLoaded, true);
    assert.equal(saved.isUnchanged, false);
    assert.equal(await readFile(file, "utf8"), v2);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    assert.deepEqual((await readdir(gw.dir)).filter((name) => name.endsWith(".tmp")), []);

    const denied = await call(agent, LIST);
    assert.equal(denied.isError, true);
    assert.equal(textOf(denied), "Listing is paused.");
    assert.equal(denied._meta?.["gatehouse/rule"], `/tools/${LIST}`);

    const { rows } = await gw.instance.database.pool.query<{ actor: string; upstream: string; data: Record<string, unknown> }>(
      "SELECT actor, upstream, data FROM audit_events WHERE type = 'policy.saved' ORDER BY seq",
    );
    assert.deepEqual(rows.at(-1), {
      actor: "reviewer:alice",
      upstream: "smartlead",
      data: { version: 2, sha256: saved.version.sha256, source: "dashboard", comment: "pause listing", restoredFrom: null, previousVersion: 1, previousSha256: rows.at(-1)!.data.previousSha256 },
    });
    const history = await admin.history("smartlead");
    assert.ok(!isPolicyRefusal(history));
    assert.deepEqual(history.versions[0] && [history.versions[0].version, history.versions[0].source, history.versions[0].createdBy, history.versions[0].comment], [2, "dashboard", "reviewer:alice", "pause listing"]);
  });

  it("refuses a stale expectedVersion and leaves the file as it was", async () => {
    const before = await readFile(file, "utf8");
    const refused = await admin.save("smartlead", V1, { by: "reviewer:bob", expectedVersion: 1, source: "api" });
    assert.ok(isPolicyRefusal(refused));
    assert.equal(refused.code, "version_conflict");
    assert.equal(refused.code === "version_conflict" && refused.currentVersion, 2);
    assert.equal(await readFile(file, "utf8"), before);
    assert.equal((await call(agent, LIST)).isError, true, "the policy in force is unchanged");
  });

  it("of two saves started from the same version, exactly one succeeds", async () => {
    const [a, b] = await Promise.all([
      admin.save("smartlead", pretty({ version: "1", default: "deny", tools: { [LIST]: { action: "deny", reason: "A" }, [GET]: {} } }), { by: "reviewer:a", expectedVersion: 2, source: "api" }),
      admin.save("smartlead", pretty({ version: "1", default: "deny", tools: { [LIST]: { action: "deny", reason: "B" }, [GET]: {} } }), { by: "reviewer:b", expectedVersion: 2, source: "api" }),
    ]);
    const outcomes = [a, b].map((r) => (isPolicyRefusal(r) ? r.code : r.version.version)).sort();
    assert.deepEqual(outcomes, [3, "version_conflict"]);
    const winner = [a, b].find((r) => !isPolicyRefusal(r));
    assert.ok(winner && !isPolicyRefusal(winner));
    assert.equal(textOf(await call(agent, LIST)), winner.version.createdBy === "reviewer:a" ? "A" : "B");
  });

  it("refuses an invalid policy with its issues; nothing is written or recorded", async () => {
    const before = await readFile(file, "utf8");
    const refused = await admin.save("smartlead", '{ "version": "2" }', { by: "reviewer:bob", source: "api" });
    assert.ok(isPolicyRefusal(refused));
    assert.equal(refused.code, "invalid_policy");
    assert.deepEqual(refused.code === "invalid_policy" && refused.issues.map((issue) => issue.path), ["/version"]);
    assert.equal(await readFile(file, "utf8"), before);
    const history = await admin.history("smartlead");
    assert.equal(!isPolicyRefusal(history) && history.versions.length, 3);
  });

  it("rollback records the old content as a new version and the decision reverts", async () => {
    const rolled = await admin.rollback("smartlead", 1, { by: "admin", comment: "listing is fine" });
    assert.ok(!isPolicyRefusal(rolled), JSON.stringify(rolled));
    assert.deepEqual([rolled.version.version, rolled.version.source, rolled.version.restoredFrom, rolled.isLoaded], [4, "rollback", 1, true]);
    assert.equal(await readFile(file, "utf8"), V1);
    assert.equal((await call(agent, LIST)).isError, undefined);
    const version = await admin.version("smartlead", 4);
    assert.ok(!isPolicyRefusal(version));
    assert.equal(version.content, V1);
    assert.deepEqual(await admin.rollback("smartlead", 99, { by: "admin" }), { ok: false, code: "not_found", detail: 'Upstream "smartlead" has no policy version 99' });
  });

  it("saving the newest version's text again records nothing; the history cannot be rewritten", async () => {
    const again = await admin.save("smartlead", V1, { by: "admin", expectedVersion: 4, source: "api" });
    assert.ok(!isPolicyRefusal(again));
    assert.deepEqual([again.version.version, again.isUnchanged, again.isLoaded], [4, true, true]);
    const history = await admin.history("smartlead");
    assert.equal(!isPolicyRefusal(history) && history.versions.length, 4);
    await assert.rejects(gw.instance.database.pool.query("UPDATE policy_versions SET content = '{}' WHERE version = 1"), /append-only/);
    await assert.rejects(gw.instance.database.pool.query("DELETE FROM policy_versions"), /append-only/);
  });

  it("dry run lists exactly the audited calls whose decision the candidate changes, and flags redacted arguments it reads", async () => {
    await call(agent, GET, { campaign_id: 9101 });
    await call(agent, GET, { campaign_id: 9102 });
    await call(agent, GET, { campaign_id: 9103, api_key: "sk-live-51HxQ2eZvKYlo2C0aBcDeFgHiJkLmNoP" });
    await call(agent, DELETE, { campaign_id: 9104 });
    const candidate = pretty({
      version: "1",
      default: "deny",
      tools: {
        [LIST]: {},
        [GET]: { deny_if: [{ any: [{ path: "args.campaign_id", op: "eq", value: 9102 }, { path: "args.api_key", op: "exists" }] }] },
        [DELETE]: { action: "require_approval" },
      },
    });
    const report = await admin.dryRun("smartlead", candidate, { limit: 50 });
    assert.ok(!isPolicyRefusal(report), JSON.stringify(report));
    const { rows } = await gw.instance.database.pool.query<{ count: number }>("SELECT count(*)::int AS count FROM tool_calls WHERE upstream = 'smartlead'");
    assert.equal(report.checked, rows[0]!.count);
    assert.deepEqual(
      report.changed.map((c) => [c.callId, c.tool, c.before.decision, c.after.decision, c.after.rule, c.readsRedactedArgument]),
      [
        [await callId(DELETE, 9104), DELETE, "deny", "require_approval", `/tools/${DELETE}`, false],
        [await callId(GET, 9103), GET, "allow", "deny", `/tools/${GET}/deny_if/0`, true],
        [await callId(GET, 9102), GET, "allow", "deny", `/tools/${GET}/deny_if/0`, false],
      ],
    );
    assert.equal(report.changed[0]?.recorded.decision, "deny");
    assert.equal(report.changed[0]?.grant, "policy-agent");
    assert.equal(report.readingRedacted, 1);
    const sum = (totals: Record<string, number>) => Object.values(totals).reduce((a, b) => a + b, 0);
    assert.deepEqual([sum(report.totals.before), sum(report.totals.after)], [report.checked, report.checked]);
    assert.equal(report.totals.after.require_approval, 1);
    assert.equal(report.totals.before.require_approval, undefined);
    assert.ok(report.notes.some((note) => /redacted/.test(note)));
    assert.ok(report.notes.some((note) => /Rate limits are not simulated/.test(note)));

    const limited = await admin.dryRun("smartlead", candidate, { limit: 2 });
    assert.ok(!isPolicyRefusal(limited));
    assert.equal(limited.checked, 2);
    assert.deepEqual(limited.changed.map((c) => c.callId), [await callId(DELETE, 9104), await callId(GET, 9103)], "only the newest two calls are replayed");

    const invalid = await admin.dryRun("smartlead", "{", {});
    assert.equal(isPolicyRefusal(invalid) && invalid.code, "invalid_policy");
  });

  it("effective decisions differ between two grants when a condition reads grant.*, as the calls do", async () => {
    const created = await gw.instance.grants.create("ops-agent", { labels: { team: "ops" } });
    assert.ok(created.ok);
    const opsAgent = await gw.connect(created.token);
    const policy = pretty({
      version: "1",
      default: "deny",
      tools: {
        [LIST]: {},
        [GET]: { require: [{ path: "grant.labels.team", op: "eq", value: "ops", message: "Only ops agents read campaigns." }] },
        [DELETE]: { deny_if: [{ path: "args.campaign_id", op: "lt", value: 100 }] },
        smartlead_retired_tool: {},
      },
    });
    const saved = await admin.save("smartlead", policy, { by: "admin", source: "api" });
    assert.ok(!isPolicyRefusal(saved));

    const forOps = await admin.effective("smartlead", "ops-agent");
    const forAgent = await admin.effective("smartlead", "policy-agent");
    assert.ok(!isPolicyRefusal(forOps) && !isPolicyRefusal(forAgent));
    const pick = (report: typeof forOps, tool: string) => {
      assert.ok(!isPolicyRefusal(report));
      const entry = report.tools.find((t) => t.tool === tool);
      assert.ok(entry, tool);
      return entry;
    };
    assert.deepEqual([pick(forOps, GET).decision, pick(forOps, GET).rule], ["allow", `/tools/${GET}`]);
    assert.deepEqual([pick(forAgent, GET).decision, pick(forAgent, GET).rule, pick(forAgent, GET).reason], ["deny", `/tools/${GET}/require/0`, "Only ops agents read campaigns."]);
    assert.deepEqual(pick(forAgent, DELETE).conditions, [{ effect: "deny", rule: `/tools/${DELETE}/deny_if/0`, summary: "denied when args.campaign_id is less than 100" }]);
    assert.equal(pick(forAgent, DELETE).decision, "conditional");
    assert.equal(pick(forAgent, "smartlead_create_campaign").rule, "/default");
    assert.equal(pick(forAgent, "smartlead_retired_tool").isOffered, false);
    assert.ok(forAgent.tools.filter((t) => t.isOffered).length >= 100, "every tool the upstream offers");
    assert.deepEqual(forOps.grant, { name: "ops-agent", owner: null, labels: { team: "ops" }, isRevoked: false });
    assert.equal(forOps.version, saved.version.version);

    assert.equal(await decisionFor(opsAgent, GET, 9201), "allow");
    const denied = await call(agent, GET, { campaign_id: 9202 });
    assert.equal(textOf(denied), "Only ops agents read campaigns.");
    assert.equal((await admin.effective("smartlead", "nobody")).ok, false);

    const candidate = await admin.effective("smartlead", "policy-agent", { content: V1 });
    assert.ok(!isPolicyRefusal(candidate));
    assert.deepEqual([pick(candidate, GET).decision, candidate.version], ["allow", null], "a candidate text, before it is saved");
  });

  it("a hand edit of the file is recorded as a version by the system; an invalid one is not, and shows as errors", async () => {
    const versionsBefore = await admin.history("smartlead");
    assert.ok(!isPolicyRefusal(versionsBefore));
    const newest = versionsBefore.versions[0]!.version;

    const rejected = once(gw.instance.events, "policy.error");
    await writeFile(file, '{ "version": "1", "tools": { "x": { "actoin": "deny" } } }');
    await rejected;
    const broken = await admin.get("smartlead");
    assert.ok(!isPolicyRefusal(broken));
    assert.equal(broken.contentVersion, null);
    assert.match(broken.errors?.join("\n") ?? "", /actoin/);
    const after = await admin.history("smartlead");
    assert.equal(!isPolicyRefusal(after) && after.versions[0]!.version, newest, "an invalid edit is not a version");

    const recorded = nextVersion();
    await writeFile(file, V1);
    const event = await recorded;
    assert.deepEqual([event.version, event.source, event.createdBy, event.change], [newest + 1, "file", "system", "recorded"]);
    const history = await admin.history("smartlead");
    assert.ok(!isPolicyRefusal(history));
    assert.deepEqual([history.versions[0]!.version, history.versions[0]!.source], [newest + 1, "file"]);
    assert.equal(await decisionFor(agent, GET, 9301), "allow", "the hand edit is in force");

    const rolled = await admin.rollback("smartlead", newest, { by: "admin" });
    assert.ok(!isPolicyRefusal(rolled));
    assert.equal(textOf(await call(agent, GET, { campaign_id: 9302 })), "Only ops agents read campaigns.", "rollback works after a hand edit");
  });

  it("another gateway's copy: an older version is replaced at start, and a version it was not told about is found by polling", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-follower-"));
    const copy = join(dir, "smartlead.json");
    await writeFile(copy, V1);
    const policies = await loadPolicies([{ ...gw.instance.config.upstreams[0]!, policyFile: copy }], { logger: silentLogger(), metrics: createMetrics() });
    const audit = createAuditWriter({ database: gw.instance.database });
    const follower = createPolicyAdmin({
      database: gw.instance.database,
      upstreams: [{ name: "smartlead", policyFile: copy }],
      policies,
      connections: gw.instance.upstreams,
      audit,
      logger: silentLogger(),
      listenUrl: null, // no notifications: only the poll can find new versions
      pollMs: 50,
    });
    t.after(async () => {
      await follower.close();
      await audit.close();
      await policies.close();
      await rm(dir, { recursive: true, force: true });
    });
    await follower.start();
    assert.equal(await readFile(copy, "utf8"), await readFile(file, "utf8"), "brought up to the newest version before it serves");
    assert.equal(policies.loaded("smartlead")?.sha256, gw.instance.policies.loaded("smartlead")?.sha256);

    const applied = new Promise<PolicyVersionEvent>((resolve) => follower.subscribe((event) => event.change === "applied" && resolve(event)));
    const saved = await admin.save("smartlead", V1, { by: "admin", source: "api" });
    assert.ok(!isPolicyRefusal(saved));
    assert.equal((await applied).version, saved.version.version);
    assert.equal(await readFile(copy, "utf8"), V1);
    assert.equal(policies.loaded("smartlead")?.sha256, saved.version.sha256);
  });
});

describe("policy files and validation, without a gateway", () => {
  it("writeFileAtomic replaces a symlink's target, keeps the link and the mode, and leaves no temporary file", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-atomic-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const target = join(dir, "real.json");
    const link = join(dir, "policy.json");
    await writeFile(target, V1);
    await chmod(target, 0o600);
    await symlink(target, link);
    await writeFileAtomic(link, "{}\n");
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readFile(target, "utf8"), "{}\n");
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ["policy.json", "real.json"]);
  });

  it("says when tool names could not be checked because the upstream's tools could not be listed", () => {
    const { report } = validatePolicyText(V1, "smartlead.json", { ok: false, reason: "upstream down" });
    assert.deepEqual(report, {
      ok: true,
      issues: [],
      warnings: [{ path: "", message: "the upstream's tools could not be listed (upstream down), so tool names were not checked" }],
    });
  });
});

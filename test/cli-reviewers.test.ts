// `gatehouse reviewers` and `gatehouse approvals approve|deny` as a user runs them: real processes, a real
// config file, and the storage of this test run. The database is held open in-process like a running
// gateway's: in embedded mode the CLI reaches it through its socket, on PostgreSQL through DATABASE_URL.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createApprovalRepository } from "../src/approvals/index.ts";
import { parseConfig, parseEnv, PROJECT_ROOT } from "../src/config/index.ts";
import { openStorage, type StorageHandles } from "../src/main.ts";
import { createGrantStore } from "../src/grants/index.ts";
import { createReviewerStore } from "../src/reviewers/index.ts";
import { DEMO_UPSTREAM, dropSchema, storageLabel } from "./helpers/gateway.ts";
import { startSlackApiStandIn } from "./helpers/slack-api.ts";

const run = promisify(execFile);
const BIN = join(PROJECT_ROOT, "bin/gatehouse.js");
const TOKEN = /(ghr_[A-Za-z0-9_-]{43})/;

describe(`gatehouse reviewers and votes from the CLI (${storageLabel()})`, () => {
  let dir: string;
  let configFile: string;
  let storage: StorageHandles;
  const schema = `gh_clirev_${randomBytes(4).toString("hex")}`;
  const childEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    LOG_LEVEL: "error",
  };
  const gatehouse = (...args: string[]) => gatehouseWith({}, ...args);
  const gatehouseWith = async (env: Record<string, string>, ...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args, "--config", configFile], { cwd: dir, env: { ...childEnv, ...env }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  /** A reviewer added in-process (the CLI's own `reviewers add` is tested below); returns the token. */
  const addReviewer = async (name: string, slackUserId?: string) => {
    const added = await createReviewerStore(storage.database).add(name, { slackUserId });
    if (!added.ok) throw new Error(added.reason);
    return added.token;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-cli-reviewers-"));
    configFile = join(dir, "gatehouse.json");
    await writeFile(join(dir, "smartlead.json"), JSON.stringify({ version: "1", default: "deny" }));
    const configText = JSON.stringify({ upstreams: { smartlead: { ...DEMO_UPSTREAM, policy: "smartlead.json" } }, storage: { dataDir: "data", schema } });
    await writeFile(configFile, configText);
    storage = await openStorage(parseConfig(configText, configFile), parseEnv(childEnv));
  });
  after(async () => {
    await storage?.close();
    if (process.env.DATABASE_URL) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  /** A pending approval as a gateway would have held it, written straight into the database. */
  const holdApproval = async (spec: { approvers: string[]; minApprovals: number }) => {
    const approval = await createApprovalRepository(storage.database).insert({
      id: randomUUID(),
      callId: randomUUID(),
      expiresAt: new Date(Date.now() + 10 * 60_000),
      upstream: "smartlead",
      tool: "smartlead_reconnect_failed_email_accounts",
      exposedTool: "smartlead_reconnect_failed_email_accounts",
      argsSealed: null,
      argsRedacted: { email_account_ids: [501] },
      argsHash: randomBytes(32).toString("hex"),
      grantName: "cli-agent",
      grantOwner: "U0OWNER",
      sessionId: "cli-session",
      spec: { channel: null, allowSelfApproval: false, wait: "ticket", timeout: "10m", ...spec },
      holdMode: "ticket",
    });
    return approval!.id;
  };
  const storedApproval = (id: string) => createApprovalRepository(storage.database).get(id);

  it("reviewers add prints a token once, list never shows it, remove stops it at once", async () => {
    const alice = await gatehouse("reviewers", "add", "alice", "--slack", "U0ALICE");
    assert.equal(alice.code, 0, alice.stderr);
    assert.match(alice.stdout, /Added reviewer "alice" \(votes as slack:U0ALICE: the same person as Slack user U0ALICE\)/);
    const aliceToken = TOKEN.exec(alice.stdout)?.[1];
    assert.ok(aliceToken, alice.stdout);
    const olga = await gatehouse("reviewers", "add", "olga", "--oidc", "Olga@Example.com");
    assert.equal(olga.code, 0, olga.stderr);
    assert.match(olga.stdout, /Signing in to the dashboard with single sign-on as olga@example\.com acts as this reviewer\./);
    assert.equal((await createReviewerStore(storage.database).findByOidcIdentity("olga@example.com"))?.name, "olga");
    await createReviewerStore(storage.database).remove("olga");
    const bob = await gatehouse("reviewers", "add", "bob");
    assert.match(bob.stdout, /votes as reviewer:bob: not linked to a Slack user/);
    const bobToken = TOKEN.exec(bob.stdout)?.[1];
    assert.ok(bobToken);
    await assert.rejects(addReviewer("alice"), /A reviewer named "alice" already exists/);
    await assert.rejects(addReviewer("carl", "alice"), /"alice" is not a Slack user id/);
    await assert.rejects(addReviewer("carl smith"), /"carl smith" is not a valid reviewer name/);

    const list = await gatehouse("reviewers", "list");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /alice\s+slack:U0ALICE\s+active/);
    assert.match(list.stdout, /bob\s+reviewer:bob\s+active/);
    const json = await gatehouse("reviewers", "list", "--json");
    for (const output of [list.stdout, json.stdout]) {
      assert.ok(!output.includes(aliceToken) && !output.includes("ghr_"), "tokens are never listed");
    }
    const stored = (await storage.database.pool.query<{ token_hash: string }>("SELECT token_hash FROM reviewers WHERE name = 'alice'")).rows[0]?.token_hash;
    assert.equal(stored, createHash("sha256").update(aliceToken).digest("hex"), "only the token's SHA-256 is stored");

    const id = await holdApproval({ approvers: [], minApprovals: 1 });
    const removed = await gatehouse("reviewers", "remove", "bob");
    assert.equal(removed.code, 0, removed.stderr);
    const refused = await gatehouse("approvals", "approve", id, "--token", bobToken);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the reviewer token is not valid \(unknown, or its reviewer was removed\); nothing was voted/);
    assert.equal((await storedApproval(id))?.votes.length, 0);
    const all = await gatehouse("reviewers", "list", "--all");
    assert.match(all.stdout, /alice\s+slack:U0ALICE\s+active/);
    assert.match(all.stdout, /bob\s+reviewer:bob\s+removed/);
    assert.deepEqual((await createReviewerStore(storage.database).list()).map((r) => r.name), ["alice"], "without --all, removed reviewers are left out");
  });

  it("approvals approve|deny vote as the reviewer of --token or GATEHOUSE_REVIEWER_TOKEN, else as admin; --as is refused", async () => {
    const carolToken = await addReviewer("carol", "U0CAROL");
    const id = await holdApproval({ approvers: [], minApprovals: 2 });

    const first = await gatehouse("approvals", "approve", id, "--token", carolToken);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Voting as slack:U0CAROL \(reviewer carol\)\./);
    assert.match(first.stdout, /Vote recorded: 1\/2 approvals\./);
    const again = await gatehouseWith({ GATEHOUSE_REVIEWER_TOKEN: carolToken }, "approvals", "approve", id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /slack:U0CAROL already voted on .*; a person's vote counts once/);
    const as = await gatehouse("approvals", "approve", id, "--as", "dave");
    assert.equal(as.code, 1);
    assert.match(as.stderr, /--as is no longer accepted: a vote is cast as a person/);

    const admin = await gatehouse("approvals", "approve", id);
    assert.equal(admin.code, 0, admin.stderr);
    assert.match(admin.stdout, /Voting as admin \(no reviewer token: database access is operator access\)\./);
    assert.match(admin.stdout, new RegExp(`Approval ${id} is now approved\\.`));
    const approved = await storedApproval(id);
    assert.deepEqual(approved?.votes.map((v) => v.voter), ["slack:U0CAROL", "admin"]);
    assert.equal(approved?.decidedBy, "admin");
  });

  it("approvals deny checks a linked reviewer against approver user groups when Slack is configured", async () => {
    const slack = await startSlackApiStandIn();
    try {
      slack.setGroupMembers("S0OPS", ["U0ERIN"]);
      const erinToken = await addReviewer("erin", "U0ERIN");
      const id = await holdApproval({ approvers: ["S0OPS"], minApprovals: 1 });
      const withSlack = { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: slack.url };

      const withoutSlack = await gatehouse("approvals", "deny", id, "--token", erinToken);
      assert.equal(withoutSlack.code, 1, "without Slack, group membership cannot be checked: refused");
      assert.match(withoutSlack.stderr, /you are not one of this tool's approvers/);
      const denied = await gatehouseWith(withSlack, "approvals", "deny", id, "--token", erinToken, "--reason", "ask <@U0OPS> first");
      assert.equal(denied.code, 0, denied.stderr);
      assert.match(denied.stdout, new RegExp(`Approval ${id} is now denied\\.`));
      assert.equal((await storedApproval(id))?.decidedBy, "slack:U0ERIN");
      assert.ok(slack.callsTo("usergroups.users.list").some((c) => c.body.usergroup === "S0OPS"));
    } finally {
      await slack.close();
    }
  });

  // Last: it revokes the grant every approval of this file was held for.
  it("grants revoke cancels the grant's held calls at once, approved ones included", async () => {
    const created = await createGrantStore(storage.database).create("cli-agent");
    assert.ok(created.ok);
    const pending = await holdApproval({ approvers: [], minApprovals: 1 });
    const approved = await holdApproval({ approvers: [], minApprovals: 1 });
    assert.equal((await gatehouse("approvals", "approve", approved)).code, 0);
    const open = (await createApprovalRepository(storage.database).list({ statuses: ["pending", "approved"], limit: 500 })).filter((a) => a.grantName === "cli-agent");
    const revoked = await gatehouse("grants", "revoke", "cli-agent");
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked grant "cli-agent"\\. Cancelled its ${open.length} held calls\\.`));
    for (const id of [pending, approved]) {
      const ended = await storedApproval(id);
      assert.deepEqual([ended?.status, ended?.decisionReason], ["cancelled", "the agent's grant was revoked"]);
    }
  });
});

// `gatehouse reviewers` and `gatehouse approvals approve|deny` as a user runs them: the compiled binary
// against a running gateway (Slack on, with the Web API stand-in, so approver user groups are checked).
// Each vote is cast as the person the token belongs to.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createApprovalRepository } from "../src/approvals/index.ts";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { cliEnv, gatehouse } from "./helpers/cli.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { startSlackApiStandIn, type SlackApiStandIn } from "./helpers/slack-api.ts";

const TOKEN = /(ghr_[A-Za-z0-9_-]{43})/;

describe(`gatehouse reviewers and votes from the CLI (${storageLabel()})`, () => {
  let dir: string;
  let gw: TestGateway;
  let slack: SlackApiStandIn;
  const env = cliEnv({ GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN });
  const cli = (...args: string[]) => gatehouse(args, { cwd: dir, env });
  const cliWith = (extra: Record<string, string>, ...args: string[]) => gatehouse(args, { cwd: dir, env: { ...env, ...extra } });

  before(async () => {
    slack = await startSlackApiStandIn();
    dir = await mkdtemp(join(tmpdir(), "gatehouse-cli-reviewers-"));
    gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: { version: "1", default: "deny" } },
      env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: "cli-test-secret", SLACK_API_URL: slack.url },
      dir,
    });
  });
  after(async () => {
    await gw?.close();
    await slack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A pending approval as a gateway would have held it, written straight into the database. */
  const holdApproval = async (spec: { approvers: string[]; minApprovals: number }) => {
    const opened = await createApprovalRepository(gw.instance.database).openOrFind({
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
    }, 0, 5_000);
    return opened!.approval.id;
  };
  const storedApproval = (id: string) => createApprovalRepository(gw.instance.database).get(id);

  it("reviewers add prints a token once, list never shows it, remove stops it at once", async () => {
    const alice = await cli("reviewers", "add", "alice", "--slack", "U0ALICE");
    assert.equal(alice.code, 0, alice.stderr);
    assert.match(alice.stdout, /Added reviewer "alice" \(votes as slack:U0ALICE: the same person as Slack user U0ALICE\)/);
    const aliceToken = TOKEN.exec(alice.stdout)?.[1];
    assert.ok(aliceToken, alice.stdout);
    const olga = await cli("reviewers", "add", "olga", "--oidc", "Olga@Example.com");
    assert.equal(olga.code, 0, olga.stderr);
    assert.match(olga.stdout, /Signing in to the dashboard with single sign-on as olga@example\.com acts as this reviewer\./);
    assert.equal((await gw.instance.reviewers.findByOidcIdentity("olga@example.com"))?.name, "olga");
    assert.equal((await cli("reviewers", "remove", "olga")).code, 0);
    const bob = await cli("reviewers", "add", "bob");
    assert.match(bob.stdout, /votes as reviewer:bob: not linked to a Slack user/);
    const bobToken = TOKEN.exec(bob.stdout)?.[1];
    assert.ok(bobToken);
    const again = await cli("reviewers", "add", "alice");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^gatehouse: A reviewer named "alice" already exists/);
    const badSlack = await cli("reviewers", "add", "carl", "--slack", "alice");
    assert.equal(badSlack.code, 1);
    assert.match(badSlack.stderr, /^gatehouse: slackUserId: a Slack user id \(U… or W…\)\n$/);

    const list = await cli("reviewers", "list");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /\nalice\s+slack:U0ALICE\s+active\s/);
    assert.match(list.stdout, /\nbob\s+reviewer:bob\s+active\s/);
    const json = await cli("reviewers", "list", "--json");
    assert.deepEqual((JSON.parse(json.stdout) as Array<{ name: string }>).map((r) => r.name).sort(), ["alice", "bob"], "without --all, removed reviewers are left out");
    for (const output of [list.stdout, json.stdout]) {
      assert.ok(!output.includes(aliceToken) && !output.includes("ghr_"), "tokens are never listed");
    }
    const stored = (await gw.instance.database.pool.query<{ token_hash: string }>("SELECT token_hash FROM reviewers WHERE name = 'alice'")).rows[0]?.token_hash;
    assert.equal(stored, createHash("sha256").update(aliceToken).digest("hex"), "only the token's SHA-256 is stored");

    const id = await holdApproval({ approvers: [], minApprovals: 1 });
    const removed = await cli("reviewers", "remove", "bob");
    assert.deepEqual([removed.code, removed.stdout], [0, 'Removed reviewer "bob": their token no longer works.\n']);
    const refused = await cli("approvals", "approve", id, "--token", bobToken);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^gatehouse: Send Authorization: Bearer <token>/);
    assert.equal((await storedApproval(id))?.votes.length, 0);
    const all = await cli("reviewers", "list", "--all", "--format", "csv");
    assert.match(all.stdout, /\r\nbob,reviewer:bob,removed,/);
  });

  it("approvals approve|deny vote as the reviewer of --token or GATEHOUSE_REVIEWER_TOKEN, else as admin; --as is refused", async () => {
    const carolToken = (await gw.instance.reviewers.add("carol", { slackUserId: "U0CAROL" })) as { ok: true; token: string };
    const id = await holdApproval({ approvers: [], minApprovals: 2 });

    const first = await cli("approvals", "approve", id, "--token", carolToken.token);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, "Voted as slack:U0CAROL.\nVote recorded: 1/2 approvals.\n");
    // GATEHOUSE_REVIEWER_TOKEN comes before the admin token for votes.
    const again = await cliWith({ GATEHOUSE_REVIEWER_TOKEN: carolToken.token }, "approvals", "approve", id);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `gatehouse: slack:U0CAROL already voted on approval ${id}; a person's vote counts once.\n`);
    const as = await cli("approvals", "approve", id, "--as", "dave");
    assert.equal(as.code, 2);
    assert.match(as.stderr, /^gatehouse: --as is no longer accepted: a vote is cast as a person/);

    const admin = await cli("approvals", "approve", id);
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(admin.stdout, `Voted as admin.\nApproval ${id} is now approved.\n`);
    const approved = await storedApproval(id);
    assert.deepEqual(approved?.votes.map((v) => v.voter), ["slack:U0CAROL", "admin"]);
    assert.equal(approved?.decidedBy, "admin");
  });

  it("approvals deny checks a linked reviewer against the tool's approver user groups", async () => {
    slack.setGroupMembers("S0OPS", ["U0ERIN"]);
    const erin = (await gw.instance.reviewers.add("erin", { slackUserId: "U0ERIN" })) as { ok: true; token: string };
    const frank = (await gw.instance.reviewers.add("frank")) as { ok: true; token: string };
    const id = await holdApproval({ approvers: ["S0OPS"], minApprovals: 1 });

    const outsider = await cli("approvals", "deny", id, "--token", frank.token);
    assert.equal(outsider.code, 1, "403 from the gateway");
    assert.match(outsider.stderr, /^gatehouse: reviewer:frank may not deny this call: /);
    const denied = await cli("approvals", "deny", id, "--token", erin.token, "--reason", "ask <@U0OPS> first");
    assert.equal(denied.code, 0, denied.stderr);
    assert.match(denied.stdout, new RegExp(`Approval ${id} is now denied\\.`));
    assert.equal((await storedApproval(id))?.decidedBy, "slack:U0ERIN");
    assert.ok(slack.callsTo("usergroups.users.list").some((c) => c.body.usergroup === "S0OPS"));
  });

  // Last: it revokes the grant every approval of this file was held for.
  it("grants revoke cancels the grant's held calls at once, approved ones included", async () => {
    assert.equal((await cli("grants", "create", "--name", "cli-agent")).code, 0);
    const pending = await holdApproval({ approvers: [], minApprovals: 1 });
    const approved = await holdApproval({ approvers: [], minApprovals: 1 });
    assert.equal((await cli("approvals", "approve", approved)).code, 0);
    const open = (await createApprovalRepository(gw.instance.database).list({ statuses: ["pending", "approved"], limit: 500 })).filter((a) => a.grantName === "cli-agent");
    const revoked = await cli("grants", "revoke", "cli-agent");
    assert.equal(revoked.code, 0, revoked.stderr);
    // The count is what this command cancelled; the reaper may cancel one of them first once the grant is revoked.
    const count = Number(/^Revoked grant "cli-agent"\. Cancelled its (\d+) held calls\.\n$/.exec(revoked.stdout)?.[1]);
    assert.ok(count >= 1 && count <= open.length, revoked.stdout);
    for (const id of [pending, approved]) {
      const ended = await storedApproval(id);
      assert.deepEqual([ended?.status, ended?.decisionReason], ["cancelled", "the agent's grant was revoked"]);
    }
  });
});

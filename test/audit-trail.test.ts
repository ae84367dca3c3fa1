// The audit trail an auditor can trust, end to end: the real gateway (storage of this run, data kept in a
// temp dir so the real CLI joins it), calls made by an MCP client, votes cast over the API, then the rows
// tampered with the way someone with SQL access would, and the listing, the story, `audit verify` and the
// signed checkpoints (file and webhook) each asked whether they notice.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { checkApprovals, checkpointMessage, getCallStory, listToolCalls, renderCallStory, verifyAudit, type SignedCheckpoint } from "../src/audit/index.ts";
import { PROJECT_ROOT } from "../src/config/index.ts";
import { ADMIN_TOKEN, decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const run = promisify(execFile);
const BIN = join(PROJECT_ROOT, "bin/gatehouse.js");
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const GET_ACCOUNT = "smartlead_get_email_account_by_id";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { min_approvals: 2, timeout: "10m" } },
    smartlead_delete_campaign: { action: "deny", reason: "Deleting campaigns is done by people." },
  },
};

/** A local webhook receiver: answers 503 to the first `failFirst` requests, then 200; records every body. */
async function startWebhook(failFirst: number) {
  const bodies: { status: number; checkpoint: SignedCheckpoint; auth: string | undefined }[] = [];
  let requests = 0;
  const waiting: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      const status = requests++ < failFirst ? 503 : 200;
      bodies.push({ status, checkpoint: JSON.parse(text) as SignedCheckpoint, auth: req.headers.authorization });
      res.writeHead(status).end();
      for (const wake of waiting.splice(0)) wake();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/checkpoints`,
    bodies,
    /** Resolves once a request matching `accept` was answered 200. */
    async delivered(accept: (c: SignedCheckpoint) => boolean): Promise<SignedCheckpoint> {
      for (;;) {
        const found = bodies.find((b) => b.status === 200 && accept(b.checkpoint));
        if (found) return found.checkpoint;
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe(`an audit trail an auditor can trust (${storageLabel()})`, () => {
  let dir: string;
  let gw: TestGateway;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let token: string;
  let alice: string;
  let bob: string;
  let heldCallId: string;
  let approvalId: string;
  let allowedCallId: string;
  let headBefore: { seq: number; hash: string };
  const childEnv = () => ({
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    LOG_LEVEL: "error",
    // The CLI finds the running gateway through its data dir and asks it over the admin API.
    GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  const gatehouse = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args, "--config", gw.configFile], { cwd: dir, env: childEnv(), timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const sql = (text: string, params: unknown[] = []) => gw.instance.database.pool.query(text, params);
  const checkpointFile = () => join(dir, "data", "audit-checkpoints.jsonl");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-audit-trail-"));
    webhook = await startWebhook(1);
    gw = await startTestGateway({
      dir,
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: {
        approvals: FAST_APPROVALS,
        // Checkpoints are forced by the tests; the automatic ones must not race them.
        audit: { checkpoints: { everyEvents: 1_000_000, everySeconds: 3600, webhook: { url: webhook.url, headers: { authorization: "Bearer hook-secret" } } } },
      },
    });
    token = await gw.createToken("ops-agent", "U0OWNER");
    alice = await gw.createReviewer("alice");
    bob = await gw.createReviewer("bob");
  });
  after(async () => {
    await gw?.close();
    await webhook?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a held call approved by two reviewers: both votes, the run and the answer are in its story", async () => {
    const client = await gw.connect(token);
    const created = nextApproval(gw);
    const call = client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [501] } } }, CallToolResultSchema, {
      onprogress: () => {},
      resetTimeoutOnProgress: true,
    });
    const approval = await created;
    heldCallId = approval.callId;
    approvalId = approval.id;
    assert.equal((await decide(gw, approval.id, "approve", { token: alice, reason: "accounts are down" })).status, 200);
    assert.equal((await decide(gw, approval.id, "approve", { token: bob, reason: "agreed" })).status, 200);
    const result = await call;
    assert.equal(result.isError, undefined, textOf(result));
    // The outcome's audit event commits before the agent gets its answer.
    const story = await getCallStory(gw.instance.database, heldCallId);

    assert.ok(story);
    assert.deepEqual(story.integrity, { ok: true, problems: [], unverified: [] });
    assert.equal(story.chain.ok, true);
    assert.equal(story.asked.grant, "ops-agent");
    assert.equal(story.asked.client?.name, "test-agent");
    assert.deepEqual(story.arguments.redacted, { email_account_ids: [501] });
    assert.equal(story.arguments.hash, approval.argsHash);
    assert.equal(story.decision.decision, "require_approval");
    assert.equal(story.decision.rule, `/tools/${RECONNECT}`);
    assert.deepEqual(
      story.approval?.votes.map((v) => [v.voter, v.vote, v.reason, v.via]),
      [
        ["reviewer:alice", "approve", "accounts are down", "reviewer:alice"],
        ["reviewer:bob", "approve", "agreed", "reviewer:bob"],
      ],
    );
    assert.ok(story.approval?.votes.every((v) => v.at !== null && !Number.isNaN(Date.parse(v.at))));
    assert.equal(story.approval?.decidedBy, "reviewer:bob");
    assert.equal((story.approval?.spec as { minApprovals: number }).minApprovals, 2);
    assert.equal(story.execution?.status, "succeeded");
    assert.match(story.execution?.ranBy ?? "", /^gateway:/);
    assert.ok(story.execution?.startedAt && Date.parse(story.execution.startedAt) >= Date.parse(story.approval?.decidedAt ?? ""));
    assert.equal(story.result?.isError, false);
    assert.match(story.result?.text ?? "", /reconnected_count/);
    assert.deepEqual(
      story.timeline.map((s) => s.type),
      ["approval.requested", "approval.vote", "approval.approved", "approval.executing", "approval.succeeded"],
    );
    assert.ok(story.timeline.every((s, i) => s.sinceStartMs >= 0 && (i === 0 ? s.sincePreviousMs === 0 : s.sincePreviousMs >= 0)));

    assert.deepEqual((await checkApprovals(gw.instance.database, [approval.id])).get(approval.id)?.integrity, { ok: true, problems: [], unverified: [] });
    const text = renderCallStory(story);
    assert.match(text, /Chain: verified/);
    assert.match(text, /reviewer:alice approve \(via reviewer:alice, api\): accounts are down/);
    assert.match(text, /reviewer:bob approve \(via reviewer:bob, api\): agreed/);
  });

  it("--reviewer finds the held call for either voter, in the listing and in the real CLI", async () => {
    for (const reviewer of ["alice", "bob"]) {
      const { rows } = await listToolCalls(gw.instance.database, { reviewer });
      assert.deepEqual(
        rows.map((r) => r.id),
        [heldCallId],
        `found by ${reviewer}`,
      );
      assert.equal(rows[0]?.integrity.ok, true);
      const cli = await gatehouse("audit", "list", "--reviewer", reviewer, "--format", "json");
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(
        (JSON.parse(cli.stdout) as { id: string }[]).map((r) => r.id),
        [heldCallId],
      );
    }
    assert.deepEqual((await listToolCalls(gw.instance.database, { reviewer: "mallory" })).rows, []);
    const table = await gatehouse("audit", "list", "--reviewer", "alice");
    assert.match(table.stdout, new RegExp(`${heldCallId}.*reviewer:alice approve, reviewer:bob approve\\s+ok`));
    const show = await gatehouse("audit", "show", heldCallId);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Who asked\n {2}grant {6}ops-agent/);
    assert.match(show.stdout, /vote .* reviewer:alice approve/);
    assert.match(show.stdout, /decided {4}reviewer:bob/);
    assert.match(show.stdout, /Upstream answered\n/);
    const json = await gatehouse("audit", "show", heldCallId, "--format", "json");
    assert.equal((JSON.parse(json.stdout) as { callId: string }).callId, heldCallId);
    const missing = await gatehouse("audit", "show", "00000000-0000-4000-8000-000000000000");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no call 00000000-0000-4000-8000-000000000000 in the audit history/i);
  });

  it("a call that attached to an identical call's approval tells that approval's story", async () => {
    const [first, second] = [await gw.connect(token), await gw.connect(token)];
    const created = nextApproval(gw);
    const request = (client: typeof first) =>
      client.request({ method: "tools/call", params: { name: RECONNECT, arguments: { email_account_ids: [502] } } }, CallToolResultSchema, { onprogress: () => {}, resetTimeoutOnProgress: true });
    const calls = [request(first)];
    const approval = await created;
    calls.push(request(second));
    const attached = await waitFor(
      () => listToolCalls(gw.instance.database, { tool: RECONNECT, status: "attached" }),
      (page) => page.rows.length === 1,
    );
    await decide(gw, approval.id, "approve", { token: alice });
    await decide(gw, approval.id, "approve", { token: bob });
    await Promise.all(calls);
    const story = await getCallStory(gw.instance.database, attached.rows[0]!.id);
    assert.deepEqual(story?.integrity, { ok: true, problems: [], unverified: [] });
    assert.equal(story?.call.status, "attached");
    assert.equal(story?.approval?.isFollowUp, true);
    assert.equal(story?.approval?.callId, approval.callId);
    assert.deepEqual(
      story?.approval?.votes.map((v) => v.voter),
      ["reviewer:alice", "reviewer:bob"],
    );
    assert.equal(story?.execution?.status, "succeeded");
    assert.deepEqual(
      story?.timeline.map((s) => s.type),
      ["approval.requested", "approval.attached", "approval.vote", "approval.approved", "approval.executing", "approval.succeeded"],
    );
  });

  it("an allowed call's story: client, arguments, the upstream's answer and timings", async () => {
    const client = await gw.connect(token);
    const result = await client.callTool({ name: GET_ACCOUNT, arguments: { email_account_id: 501 } });
    assert.equal(result.isError, undefined);
    const { rows } = await waitFor(
      () => listToolCalls(gw.instance.database, { tool: GET_ACCOUNT, limit: 1 }),
      (page) => page.rows[0]?.status === "succeeded",
    );
    allowedCallId = rows[0]!.id;
    const story = await getCallStory(gw.instance.database, allowedCallId);
    assert.deepEqual(story?.integrity, { ok: true, problems: [], unverified: [] });
    assert.equal(story?.asked.client?.name, "test-agent");
    assert.equal(story?.approval, null);
    assert.deepEqual(story?.arguments.redacted, { email_account_id: 501 });
    assert.equal(story?.result?.text, textOf(result).slice(0, 2048));
    assert.equal(story?.execution?.status, "succeeded");
    assert.deepEqual(
      story?.timeline.map((s) => s.type),
      ["call.allowed", "call.succeeded"],
    );
  });

  it("verify on an untouched trail: exit 0, the head and the count, every row agrees", async () => {
    const cli = await gatehouse("audit", "verify");
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    const head = /Head: seq (\d+) hash ([0-9a-f]{64})/.exec(cli.stdout);
    assert.ok(head, cli.stdout);
    headBefore = { seq: Number(head[1]), hash: head[2]! };
    const { rows } = await sql("SELECT count(*)::int AS n, max(seq)::int AS head FROM audit_events");
    assert.match(cli.stdout, new RegExp(`Audit chain: ${rows[0].n} events, intact`));
    assert.equal(headBefore.seq, rows[0].head);
    assert.match(cli.stdout, /Rows: \d+ tool_calls, 2 approvals, 4 votes: all agree with their events/);
    const expected = await gatehouse("audit", "verify", "--expect-head", `${headBefore.seq}:${headBefore.hash}`);
    assert.equal(expected.code, 0, expected.stderr);
    assert.match(expected.stdout, new RegExp(`Expected head seq ${headBefore.seq}: present, unchanged`));
    const usage = await gatehouse("audit", "verify", "--expect-head", "yesterday");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--expect-head must be <seq>:<hash>/);
    const noFile = await gatehouse("audit", "verify", "--checkpoints", join(dir, "nope.jsonl"));
    assert.equal(noFile.code, 2);
  });

  it("signed checkpoints reach the file, the table and the webhook (after a retry); the exported public key verifies them", async () => {
    const checkpoint = await gw.instance.auditCheckpoints.checkpointer!.checkpoint({ force: true });
    assert.ok(checkpoint);
    assert.equal(checkpoint.seq, headBefore.seq);
    assert.equal(checkpoint.hash, headBefore.hash);
    const delivered = await webhook.delivered((c) => c.seq === checkpoint.seq);
    assert.deepEqual(delivered, checkpoint);
    assert.equal(webhook.bodies[0]?.status, 503, "the first delivery failed and was retried");
    assert.ok(webhook.bodies.every((b) => b.auth === "Bearer hook-secret"), "configured headers are sent");

    const lines = await waitFor(
      async () => (await readFile(checkpointFile(), "utf8").catch(() => "")).trim().split("\n").filter(Boolean),
      (found) => found.length > 0,
    );
    assert.deepEqual(JSON.parse(lines.at(-1)!), checkpoint);
    const stored = await sql("SELECT seq::int, hash, count::int, key_id, signature FROM audit_checkpoints");
    assert.deepEqual(stored.rows, [{ seq: checkpoint.seq, hash: checkpoint.hash, count: checkpoint.count, key_id: checkpoint.keyId, signature: checkpoint.signature }]);

    // An auditor holding only the exported public key checks the signature with plain node:crypto.
    const exported = await gatehouse("audit", "public-key");
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^-----BEGIN PUBLIC KEY-----/);
    assert.match(exported.stderr, new RegExp(`key id ${checkpoint.keyId}`));
    const publicKey = createPublicKey(exported.stdout);
    const message = (c: SignedCheckpoint) => Buffer.from(checkpointMessage(c), "utf8");
    assert.equal(verify(null, message(checkpoint), publicKey, Buffer.from(checkpoint.signature, "base64")), true);
    for (const changed of [{ ...checkpoint, count: checkpoint.count + 1 }, { ...checkpoint, hash: `${checkpoint.hash.slice(0, -1)}${checkpoint.hash.endsWith("0") ? "1" : "0"}` }]) {
      assert.equal(verify(null, message(changed), publicKey, Buffer.from(checkpoint.signature, "base64")), false);
    }

    // verify checks the configured file by default; a copy with one byte changed fails its signature.
    const clean = await gatehouse("audit", "verify");
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, new RegExp(`Checkpoints in ${escape(checkpointFile())}: 1, newest seq ${checkpoint.seq} .*signatures valid, all still in the chain`));
    const forged = join(dir, "forged.jsonl");
    await writeFile(forged, `${JSON.stringify({ ...checkpoint, count: checkpoint.count + 1 })}\n`);
    const bad = await gatehouse("audit", "verify", "--checkpoints", forged);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /checkpoints \(.*forged\.jsonl\): checkpoint seq \d+ .*: the signature does not match/);
  });

  it("two gateways on one database sign the same chain without conflicting", async () => {
    const second = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: POLICY },
      extraConfig: { storage: { schema: gw.instance.database.schema }, audit: { checkpoints: { everyEvents: 1_000_000, everySeconds: 3600, file: false } } },
      databaseUrl: gw.instance.databaseUrl,
    });
    try {
      await (await second.connect(token)).callTool({ name: GET_ACCOUNT, arguments: { email_account_id: 502 } });
      const both = await Promise.all([gw.instance.auditCheckpoints.checkpointer!.checkpoint({ force: true }), second.instance.auditCheckpoints.checkpointer!.checkpoint({ force: true })]);
      const written = both.filter((c) => c !== null);
      assert.ok(written.length >= 1, "at least one of them wrote the new head");
      const { rows } = await sql("SELECT seq::int FROM audit_checkpoints ORDER BY seq");
      assert.equal(new Set(rows.map((r: { seq: number }) => r.seq)).size, rows.length, "one row per checkpointed head");
    } finally {
      await second.close();
    }
    const report = await verifyAudit(gw.instance.database, { trustedKeys: [], isRowCheck: false });
    assert.ok(report.checkpoints[0]!.checked >= 2);
    assert.ok(report.checkpoints[0]!.problems.every((p) => /not trusted here/.test(p)), "only the trust of keys is missing, every checkpoint is still in the chain");
  });

  it("an UPDATE of a tool_calls row's status and arguments is flagged in the listing, the story and verify", async () => {
    await sql(`UPDATE tool_calls SET status = 'failed', args_redacted = '{"email_account_id": 999}' WHERE id = $1`, [allowedCallId]);
    const { rows } = await listToolCalls(gw.instance.database, { tool: GET_ACCOUNT, limit: 100 });
    const row = rows.find((r) => r.id === allowedCallId);
    assert.equal(row?.integrity.ok, false);
    assert.equal(row?.status, "succeeded", "the listing shows what the chain says");
    assert.deepEqual(row?.argsRedacted, { email_account_id: 501 });
    assert.ok(row?.integrity.problems.some((p) => /^status: the tool_calls row says "failed", the audit chain says "succeeded"$/.test(p)));
    assert.ok(row?.integrity.problems.some((p) => /^arguments: the tool_calls row says \{"email_account_id":999\}/.test(p)));
    const story = await getCallStory(gw.instance.database, allowedCallId);
    assert.equal(story?.integrity.ok, false);
    assert.match(renderCallStory(story!), /\nPROBLEMS: what the tables say disagrees with the audit chain\n( {2}! .*\n)* {2}! status: the tool_calls row says "failed"/);
    const table = await gatehouse("audit", "list", "--tool", GET_ACCOUNT);
    assert.match(table.stdout, new RegExp(`${allowedCallId}.*PROBLEM`));
    assert.match(table.stderr, /disagree with the audit chain/);
    const cli = await gatehouse("audit", "verify");
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, new RegExp(`tool_calls ${allowedCallId}: status: the tool_calls row says "failed"`));
  });

  it("UPDATEs of approvals (decided_by, status) and approval_votes are flagged in the listing, the story and verify", async () => {
    await sql("UPDATE approvals SET decided_by = 'reviewer:mallory', status = 'denied' WHERE call_id = $1", [heldCallId]);
    await sql("UPDATE approval_votes SET vote = 'deny', reason = 'never' WHERE voter = 'reviewer:alice'");
    const { rows } = await listToolCalls(gw.instance.database, { reviewer: "bob" });
    const row = rows.find((r) => r.id === heldCallId);
    assert.equal(row?.integrity.ok, false);
    assert.equal(row?.approval?.decidedBy, "reviewer:bob", "the chain's decider is shown, not the edited one");
    const problems = row?.integrity.problems.join("\n") ?? "";
    assert.match(problems, /decided by: the approvals row says "reviewer:mallory", the audit chain says "reviewer:bob"/);
    assert.match(problems, /status: the approvals row says "denied", the audit chain says "succeeded"/);
    assert.match(problems, /approval_votes: reviewer:alice voted approve according to the audit chain, the table says deny/);
    const checked = (await checkApprovals(gw.instance.database, [approvalId])).get(approvalId);
    assert.equal(checked?.integrity.ok, false, "an approvals listing is checked too");
    assert.equal(checked?.approval.status, "succeeded");
    const story = await getCallStory(gw.instance.database, heldCallId);
    assert.equal(story?.integrity.ok, false);
    assert.deepEqual(
      story?.approval?.votes.map((v) => [v.voter, v.vote, v.reason]),
      [
        ["reviewer:alice", "approve", "accounts are down"],
        ["reviewer:bob", "approve", "agreed"],
      ],
    );
    await sql("DELETE FROM approval_votes WHERE voter = 'reviewer:bob'");
    const cli = await gatehouse("audit", "verify");
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /approvals [0-9a-f-]{36}: decided by: the approvals row says "reviewer:mallory"/);
    assert.match(cli.stderr, /approval_votes: the audit chain records a vote by reviewer:bob \(approve\) that is missing from the table/);
  });

  it("deleting the newest events is caught by --expect-head and by the checkpoint file", async () => {
    const [checkpoint] = (await readFile(checkpointFile(), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as SignedCheckpoint);
    assert.ok(checkpoint);
    // What a superuser-like attacker does: switch the append-only trigger off and drop the tail.
    await sql("ALTER TABLE audit_events DISABLE TRIGGER USER");
    await sql("DELETE FROM audit_events WHERE seq >= $1", [headBefore.seq - 1]);
    await sql("ALTER TABLE audit_events ENABLE TRIGGER USER");
    const chainOnly = await gatehouse("audit", "verify", "--checkpoints", join(dir, "none.jsonl"), "--expect-head", `${headBefore.seq}:${headBefore.hash}`).catch(() => null);
    assert.equal(chainOnly?.code, 2, "a named checkpoint file that is missing is a usage error");
    const expected = await gatehouse("audit", "verify", "--expect-head", `${headBefore.seq}:${headBefore.hash}`);
    assert.equal(expected.code, 1);
    assert.match(expected.stdout, /Audit chain: \d+ events, intact/, "the chain alone looks fine");
    assert.match(expected.stderr, new RegExp(`expected head: the chain (ends at seq \\d+, before seq ${headBefore.seq}|has no event at seq ${headBefore.seq})`));
    const copy = join(dir, "kept-elsewhere.jsonl");
    await writeFile(copy, `${JSON.stringify(checkpoint)}\n`);
    const byCheckpoint = await gatehouse("audit", "verify", "--checkpoints", copy);
    assert.equal(byCheckpoint.code, 1);
    assert.match(byCheckpoint.stderr, new RegExp(`checkpoints \\(${escape(copy)}\\): checkpoint seq ${checkpoint.seq} .*: the chain (ends at seq|has no event at seq)`));
    const json = await gatehouse("audit", "verify", "--checkpoints", copy, "--format", "json");
    const report = JSON.parse(json.stdout) as { ok: boolean; head: { seq: number } };
    assert.equal(report.ok, false);
    assert.ok(report.head.seq < headBefore.seq);
    assert.equal(await gw.instance.auditCheckpoints.checkpointer!.checkpoint({ force: true }), null, "the gateway refuses to sign on top of a truncated chain");
    assert.match(gw.instance.auditCheckpoints.checkpointer!.status().lastError ?? "", /before the last checkpoint|no longer holds checkpoint/);
  });
});

describe(`automatic checkpoints (${storageLabel()})`, () => {
  it("are written every N events, and once more at shutdown so the newest events are covered", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-checkpoints-"));
    const file = join(dir, "kept", "chain.jsonl");
    const readLines = async () => (await readFile(file, "utf8").catch(() => "")).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as SignedCheckpoint);
    try {
      const gw = await startTestGateway({
        dir,
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: { audit: { checkpoints: { everyEvents: 3, everySeconds: 3600, file: "kept/chain.jsonl" } } },
      });
      let head: number;
      try {
        const client = await gw.connect(await gw.createToken("busy-agent"));
        for (const id of [501, 502]) await client.callTool({ name: GET_ACCOUNT, arguments: { email_account_id: id } });
        const [first] = await waitFor(readLines, (lines) => lines.length >= 1);
        assert.ok(first!.count >= 3, "written once three events were appended");
        await waitFor(
          () => listToolCalls(gw.instance.database, { grant: "busy-agent" }),
          (page) => page.rows.length === 2 && page.rows.every((r) => r.status === "succeeded"),
        );
        await gw.instance.auditCheckpoints.checkpointer!.checkpoint({ force: true });
        // One more event (a denied call), fewer than everyEvents: no checkpoint covers it while the gateway runs.
        await client.callTool({ name: "smartlead_delete_campaign", arguments: { campaign_id: 1 } });
        head = Number((await gw.instance.database.pool.query("SELECT max(seq) AS head FROM audit_events")).rows[0].head);
        assert.ok((await readLines()).every((c) => c.seq < head), "not yet covered");
      } finally {
        await gw.close();
      }
      assert.equal((await readLines()).at(-1)?.seq, head, "the checkpoint written at shutdown is the final head");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor<T>(read: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The call page through the real app, as a browser without JavaScript sees it: for an allowed call, a denied
// call, a held call approved by two people (one in the dashboard, one over the API) and an identical call that
// attached to it, the page shows every fact `gatehouse audit show` prints (its text is `renderCallStory` of the
// same story), and whether the chain verifies. Rows edited with SQL are shown as TAMPERED with what differs,
// never as the truth: a tool_calls row on the call page and the audit list, approvals rows on the pending board
// and the approval page.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { approvalsNeeded, chainSummary, formatDuration, getCallStory, listToolCalls, renderCallStory, voteMeans, type CallStory } from "../src/audit/index.ts";
import { ADMIN_TOKEN, decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { readableText, sectionOf } from "./helpers/page-text.ts";
import { flashOf, Visitor } from "./helpers/visitor.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const GET_ACCOUNT = "smartlead_get_email_account_by_id";
const DELETE = "smartlead_delete_campaign";
const STATUS = "smartlead_update_campaign_status";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [DELETE]: { action: "deny", reason: "Deleting campaigns is done by people." },
    [RECONNECT]: { action: "require_approval", approval: { min_approvals: 2, timeout: "10m" } },
    [STATUS]: { action: "require_approval", approval: { timeout: "10m", wait: "ticket" } },
  },
};

type Fact = { label: string; value: string; kind: "text" | "time" | "seq" };

/** Every fact `gatehouse audit show` prints about a call, as the values its text is made of. */
function factsOf(story: CallStory): Fact[] {
  const facts: Fact[] = [];
  const text = (label: string, value: string | null | undefined) => value && facts.push({ label, value, kind: "text" });
  const time = (label: string, value: string | null | undefined) => value && facts.push({ label, value, kind: "time" });
  const { asked, call, approval, execution, result } = story;
  text("call id", story.callId);
  text("upstream", asked.upstream);
  text("tool", asked.tool);
  text("chain check", chainSummary(story));
  for (const problem of story.integrity.problems) text("problem", problem);
  text("grant", asked.grant);
  text("session", asked.session);
  text("client", asked.client ? `${asked.client.name} ${asked.client.version}` : "not recorded");
  time("time asked", asked.at);
  for (const line of JSON.stringify(story.arguments.redacted, null, 2).split("\n")) text("argument line", line.trim());
  text("arguments hash", story.arguments.hash);
  text("decision", call.decision);
  text("rule", call.rule ?? "the policy's default");
  text("policy's reason", story.decision.reason);
  text("status", call.status);
  if (approval) {
    text("approval id", approval.id);
    if (approval.isFollowUp) text("call that opened the approval", approval.callId);
    text("approval status", approval.status);
    text("approvals needed", approvalsNeeded(approval.spec));
    time("time the approval was asked", approval.createdAt);
    time("deadline", approval.expiresAt);
    for (const vote of approval.votes) {
      text("voter", vote.voter);
      text(`vote of ${vote.voter}`, vote.vote);
      text(`credential and channel of ${vote.voter}'s vote`, voteMeans(vote));
      text(`reason of ${vote.voter}'s vote`, vote.reason);
      time(`time of ${vote.voter}'s vote`, vote.at);
    }
    text("decided by", approval.decidedBy);
    time("decision time", approval.decidedAt);
    text("decision reason", approval.decisionReason);
  }
  if (execution) {
    time("time sent", execution.startedAt);
    text("gateway that ran it", execution.ranBy);
    text("outcome", execution.status);
    if (execution.durationMs !== null) text("duration", formatDuration(execution.durationMs));
    time("end time", execution.finishedAt);
    text("error", execution.error);
  } else {
    text("that nothing ran", "nothing was sent to the upstream");
  }
  if (result) {
    text("answer heading", "Upstream answered");
    if (result.isError) text("answer was an error", "with an error");
    if (result.isTruncated) text("cut", `first ${result.text.length} of ${result.textLength} characters`);
    for (const line of result.text.split("\n")) text("answer line", line.trim());
  }
  for (const step of story.timeline) {
    facts.push({ label: "step", value: String(step.seq), kind: "seq" });
    time(`time of step ${step.seq}`, step.at);
    text(`offset of step ${step.seq}`, `+${formatDuration(step.sinceStartMs)}`);
    text(`step ${step.seq}`, step.summary);
    if (!step.isIntact) text(`edit of step ${step.seq}`, "EDITED");
  }
  if (story.integrity.unverified.length > 0) text("what the chain cannot vouch for", `Not covered by the chain (recorded before events carried them): ${story.integrity.unverified.join(", ")}`);
  return facts;
}

// Badges read "require approval" for require_approval; spacing differs between a terminal and a page.
const normalize = (text: string) => text.replaceAll("_", " ").replace(/\s+/g, " ").trim();

/** The call page shows each fact `gatehouse audit show` prints for the same call. */
function assertSameAnswer(story: CallStory, pageHtml: string): void {
  const cli = normalize(renderCallStory(story));
  const page = normalize(readableText(pageHtml));
  const facts = factsOf(story);
  assert.ok(facts.length > 20, "a story has many facts");
  for (const { label, value, kind } of facts) {
    if (kind === "time") {
      assert.ok(cli.includes(value.replace("T", " ")), `audit show prints the ${label}`);
      assert.ok(pageHtml.includes(`datetime="${value}"`), `the page shows the ${label} (${value})`);
    } else if (kind === "seq") {
      assert.ok(cli.includes(`seq ${value} `), `audit show prints step ${value}`);
      assert.ok(pageHtml.includes(`<td class="num">${value}</td>`), `the page shows step ${value}`);
    } else {
      assert.ok(cli.includes(normalize(value)), `audit show prints the ${label}: ${value}`);
      assert.ok(page.includes(normalize(value)), `the page shows the ${label}: ${value}`);
    }
  }
}

describe(`the call page (${storageLabel()})`, () => {
  let gw: TestGateway;
  let alice: Visitor;
  let admin: Visitor;
  let bobToken: string;
  let agent: Awaited<ReturnType<TestGateway["connect"]>>;
  let allowedCallId: string;
  let deniedCallId: string;
  let heldCallId: string;
  let approvalId: string;
  const sql = (text: string, params: unknown[] = []) => gw.instance.database.pool.query(text, params);
  const storyOf = async (callId: string) => {
    const story = await getCallStory(gw.instance.database, callId);
    assert.ok(story, `a story for ${callId}`);
    return story;
  };
  const latestCall = async (filters: Parameters<typeof listToolCalls>[1], isDone: (status: string) => boolean) => {
    const page = await waitUntil(
      () => listToolCalls(gw.instance.database, { ...filters, limit: 1 }),
      (p) => p.rows[0] !== undefined && isDone(p.rows[0].status),
    );
    return page.rows[0]!.id;
  };

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    alice = new Visitor(() => gw.url);
    admin = new Visitor(() => gw.url);
    await alice.signIn(await gw.createReviewer("alice"));
    await admin.signIn(ADMIN_TOKEN);
    bobToken = await gw.createReviewer("bob");
    agent = await gw.connect(await gw.createToken("ops-agent", "U0OWNER"));
  });
  after(() => gw?.close());

  it("an allowed call: who asked, the arguments, what the upstream answered and each step, and the chain verifies", async () => {
    const answer = await agent.callTool({ name: GET_ACCOUNT, arguments: { email_account_id: 501 } });
    assert.equal(answer.isError, undefined);
    allowedCallId = await latestCall({ tool: GET_ACCOUNT }, (status) => status === "succeeded");
    const page = await alice.get(`/audit/calls/${allowedCallId}`);
    assert.equal(page.status, 200);
    const story = await storyOf(allowedCallId);
    assertSameAnswer(story, page.text);

    assert.match(readableText(sectionOf(page.text, "chain")), /^Chain check verified verified \(2 event\(s\), seq \d+–\d+\); the rows agree with their events/);
    assert.match(readableText(sectionOf(page.text, "asked")), /Agent \(grant\) ops-agent Session [0-9a-f-]{36} Client test-agent 1\.0\.0 Tool smartlead_get_email_account_by_id on smartlead/);
    assert.match(readableText(sectionOf(page.text, "policy")), /Decision allow Rule \/tools\/smartlead_get_\* Reason smartlead_get_email_account_by_id is allowed by \/tools\/smartlead_get_\* Call status succeeded/);
    const ran = sectionOf(page.text, "ran");
    assert.match(readableText(ran), /Outcome succeeded in \d+(\.\d)? m?s/);
    assert.equal(readableText(/<pre class="json answer"[^>]*>([\s\S]*?)<\/pre>/.exec(ran)?.[1] ?? ""), readableText(textOf(answer)), "the upstream's answer as it came");
    assert.doesNotMatch(page.text, /aria-labelledby="people"/, "nobody was asked");
    const steps = readableText(sectionOf(page.text, "steps"));
    assert.match(steps, /Timeline \(2 audit events, seq \d+–\d+\)/);
    assert.match(steps, /\+0 ms — allowed \(rule \/tools\/smartlead_get_\*\); sent to the upstream call\.allowed ✓ [0-9a-f]{12}/);
    assert.match(steps, /the upstream answered in \d+ ms call\.succeeded ✓/);
  });

  it("a denied call: the rule and its reason, and that nothing ran", async () => {
    const answer = await agent.callTool({ name: DELETE, arguments: { campaign_id: 1004 } });
    assert.equal(answer.isError, true);
    deniedCallId = await latestCall({ decision: "deny" }, (status) => status === "refused");
    const page = await alice.get(`/audit/calls/${deniedCallId}`);
    assertSameAnswer(await storyOf(deniedCallId), page.text);
    assert.match(readableText(sectionOf(page.text, "policy")), /Decision deny Rule \/tools\/smartlead_delete_campaign Reason Deleting campaigns is done by people\. Call status refused/);
    assert.equal(readableText(sectionOf(page.text, "ran")), "What ran Not run: nothing was sent to the upstream.");
    assert.match(readableText(sectionOf(page.text, "chain")), /verified \(1 event\(s\)/);
  });

  it("a held call two people approved (dashboard and API): every voter, channel, reason and time, who decided, what ran", async () => {
    const created = nextApproval(gw);
    const first = agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [501, 502] } }, undefined, { timeout: 120_000 });
    const approval = await created;
    [heldCallId, approvalId] = [approval.callId, approval.id];
    // An identical call attaches to the open approval: it shares that approval's story.
    const attaching = agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [501, 502] } }, undefined, { timeout: 120_000 });
    const attachedCallId = await latestCall({ tool: RECONNECT, status: "attached" }, () => true);
    const voted = await alice.post(`/approvals/${approval.id}/vote`, { vote: "approve", reason: "both mailboxes show auth errors" });
    assert.equal(flashOf(voted.next!.text), `Your approval of ${RECONNECT} is recorded: 1 of 2 approvals. It runs once 1 more person approves.`);
    assert.equal((await decide(gw, approval.id, "approve", { token: bobToken, reason: "agreed, reconnect" })).status, 200);
    const result = await first;
    assert.equal(textOf(await attaching), textOf(result), "both requests got the one run's answer");
    await latestCall({ tool: RECONNECT, status: "succeeded" }, () => true);

    const page = await alice.get(`/audit/calls/${heldCallId}`);
    const story = await storyOf(heldCallId);
    assertSameAnswer(story, page.text);
    const people = readableText(sectionOf(page.text, "people"));
    assert.match(people, new RegExp(`^Who decided Approval succeeded ${approval.id} Needed 2 approval\\(s\\) from anyone allowed to review; 2 given Asked [\\d-]+ [\\d:.]+ UTC · deadline [\\d-]+ [\\d:.]+ UTC Decided`));
    assert.match(people, /Decided by bob \(reviewer\) reviewer:bob [\d-]+ [\d:.]+ UTC 2 approvals Votes/);
    assert.match(people, /approve alice \(reviewer\) reviewer:alice [\d-]+ [\d:.]+ UTC both mailboxes show auth errors via reviewer:alice, dashboard/);
    assert.match(people, /approve bob \(reviewer\) reviewer:bob [\d-]+ [\d:.]+ UTC agreed, reconnect via reviewer:bob, api/);
    assert.match(readableText(sectionOf(page.text, "ran")), /Sent [\d-]+ [\d:.]+ UTC by gateway:[0-9a-f-]{36} Outcome succeeded in \d+ ms \(ended [\d-]+ [\d:.]+ UTC ?\) Upstream answered \(secrets redacted\) \{ "ok": true, "requested": 2,/);
    const stepsOf = (html: string) => [...sectionOf(html, "steps").matchAll(/<code>(approval\.[a-z_]+)<\/code>/g)].map((m) => m[1]);
    assert.deepEqual(stepsOf(page.text), ["approval.requested", "approval.vote", "approval.approved", "approval.executing", "approval.succeeded"]);

    const attached = await alice.get(`/audit/calls/${attachedCallId}`);
    assertSameAnswer(await storyOf(attachedCallId), attached.text);
    assert.deepEqual(
      stepsOf(attached.text),
      ["approval.requested", "approval.attached", "approval.vote", "approval.approved", "approval.executing", "approval.succeeded"],
      "the approval's story, with this call's attachment",
    );
    assert.match(attached.text, new RegExp(`opened by the identical call <a href="/audit/calls/${heldCallId}"><code>${heldCallId}</code></a>`));

    // Every way to the page: the audit list (a reviewer filter matches each voter), the board's recent decisions, the approval's page.
    for (const reviewer of ["alice", "bob"]) {
      const list = await alice.get(`/audit?tool=smartlead_reconnect_*&reviewer=${reviewer}`);
      assert.deepEqual([...list.text.matchAll(/<a href="\/audit\/calls\/([0-9a-f-]{36})"><code>/g)].map((m) => m[1]), [heldCallId], `found by ${reviewer}`);
    }
    const board = await alice.get("/");
    assert.match(sectionOf(board.text, "recent-title"), new RegExp(`<a href="/audit/calls/${heldCallId}"><code>${RECONNECT}</code></a>`));
    assert.match((await alice.get(`/approvals/${approval.id}`)).text, new RegExp(`<a href="/audit/calls/${heldCallId}">call page</a>`));
  });

  it("a tool_calls row edited with SQL: TAMPERED with what differs, and the chain's values shown, not the edited ones", async () => {
    await sql(`UPDATE tool_calls SET status = 'failed', args_redacted = '{"email_account_id": 999}' WHERE id = $1`, [allowedCallId]);
    const page = await alice.get(`/audit/calls/${allowedCallId}`);
    const story = await storyOf(allowedCallId);
    assertSameAnswer(story, page.text);
    assert.match(page.text, /<section class="panel chain-panel is-tampered" aria-labelledby="chain" role="alert">/);
    const chain = sectionOf(page.text, "chain");
    assert.match(readableText(chain), /^Chain check TAMPERED events verify \(2 event\(s\), seq \d+–\d+\), but the rows shown disagree with them The stored rows were changed after the gateway wrote them\./);
    assert.match(readableText(chain), /status: the tool_calls row says "failed", the audit chain says "succeeded"/);
    assert.match(readableText(chain), /arguments: the tool_calls row says \{"email_account_id":999\}, the audit chain says \{"email_account_id":501\}/);
    const policy = readableText(sectionOf(page.text, "policy"));
    assert.match(policy, /Call status succeeded row edited$/, "the chain's status, marked");
    const asked = sectionOf(page.text, "asked");
    assert.match(readableText(asked), /Arguments \(secrets redacted\) row edited \{ "email_account_id": 501 \}/);
    assert.doesNotMatch(/<pre class="json"[^>]*>([\s\S]*?)<\/pre>/.exec(asked)?.[1] ?? "", /999/, "the edited arguments are not shown as the call's");

    const list = await alice.get(`/audit?tool=${GET_ACCOUNT}`);
    assert.match(list.text, new RegExp(`<tr class="tampered">\\s*<td><span class="badge tone-bad" title="[^"]*status: the tool_calls row says &quot;failed&quot;[^"]*">TAMPERED</span></td>[\\s\\S]*?/audit/calls/${allowedCallId}`));
  });

  it("an unknown call id is a 404 page", async () => {
    for (const id of [randomUUID(), "not-a-call"]) {
      const page = await alice.get(`/audit/calls/${id}`);
      assert.equal(page.status, 404);
      assert.match(page.text, /<h1>Not found<\/h1>/);
      assert.match(page.text, /There is no call with this id in the audit history\./);
    }
  });

  it("approvals rows edited with SQL are flagged on the pending board and the approval page, with the chain's values shown", async () => {
    const created = nextApproval(gw);
    await agent.callTool({ name: STATUS, arguments: { campaign_id: 1002, status: "STOPPED" } });
    const pending = await created;
    await sql(`UPDATE approvals SET args_redacted = '{"campaign_id": 1002, "status": "ACTIVE"}' WHERE id = $1`, [pending.id]);
    await sql(`UPDATE approvals SET status = 'denied', decided_by = 'reviewer:mallory' WHERE id = $1`, [approvalId]);

    for (const path of ["/", `/approvals/${pending.id}`]) {
      const text = (await alice.get(path)).text;
      const card = text.slice(text.indexOf(`id="approval-${pending.id}"`), text.indexOf("</article>", text.indexOf(`id="approval-${pending.id}"`)));
      assert.match(card, /<span class="badge tone-bad">TAMPERED<\/span>/, path);
      assert.match(readableText(card), /This approval's stored record disagrees with the audit chain\. It was changed outside the gateway; the card shows what the chain says\./);
      // (PostgreSQL's jsonb orders keys its own way.)
      assert.match(readableText(card), /arguments: the approvals row says \{[^}]*"status":"ACTIVE"[^}]*\}, the audit chain says \{[^}]*"status":"STOPPED"[^}]*\}/);
      assert.match(readableText(/<pre class="json"[^>]*>([\s\S]*?)<\/pre>/.exec(card)?.[1] ?? ""), /"status": "STOPPED"/, "the arguments the agent sent, not the edited ones");
    }

    const recent = sectionOf((await alice.get("/")).text, "recent-title");
    const row = /<tr class="tampered">([\s\S]*?)<\/tr>/.exec(recent)?.[1] ?? "";
    assert.match(row, new RegExp(`<a href="/audit/calls/${heldCallId}">`), "the edited decision is flagged");
    assert.match(row, /title="[^"]*decided by: the approvals row says &quot;reviewer:mallory&quot;, the audit chain says &quot;reviewer:bob&quot;[^"]*">TAMPERED/);
    assert.match(readableText(row), /succeeded bob \(reviewer\)/, "with the chain's status and decider");
    const decided = (await alice.get(`/approvals/${approvalId}`)).text;
    assert.match(readableText(decided), /succeeded Decided by bob \(reviewer\)/);
    assert.match(readableText(decided), /status: the approvals row says "denied", the audit chain says "succeeded"/);

    const call = await alice.get(`/audit/calls/${heldCallId}`);
    assertSameAnswer(await storyOf(heldCallId), call.text);
    assert.match(readableText(sectionOf(call.text, "chain")), /TAMPERED.*decided by: the approvals row says "reviewer:mallory", the audit chain says "reviewer:bob"/);
    assert.match(readableText(sectionOf(call.text, "people")), /Decided by bob \(reviewer\)/);
  });

  it("an audit event edited with SQL: the chain is BROKEN and the step is marked EDITED", async () => {
    // What someone with enough privileges does: switch the append-only trigger off and rewrite an event.
    await sql("ALTER TABLE audit_events DISABLE TRIGGER USER");
    await sql("UPDATE audit_events SET reason = 'allowed after all' WHERE call_id = $1", [deniedCallId]);
    await sql("ALTER TABLE audit_events ENABLE TRIGGER USER");
    const page = await alice.get(`/audit/calls/${deniedCallId}`);
    assertSameAnswer(await storyOf(deniedCallId), page.text);
    assert.match(page.text, /<section class="panel chain-panel is-broken" aria-labelledby="chain" role="alert">/);
    const chain = readableText(sectionOf(page.text, "chain"));
    assert.match(chain, /^Chain check BROKEN BROKEN \(1 event\(s\), seq \d+–\d+\): see the problems below Audit events of this call fail their hash checks/);
    assert.match(chain, /audit event seq \d+ \(call\.denied\) was edited after it was written: its hash does not match its contents/);
    assert.match(readableText(sectionOf(page.text, "steps")), /EDITED denied \(rule \/tools\/smartlead_delete_campaign\): allowed after all call\.denied/);
  });
});

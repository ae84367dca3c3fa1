// The dashboard as a browser without JavaScript sees it, through the real app: each page for an admin and for a
// reviewer, role checks, CSRF refusals, votes under the same rules as Slack with the outcome said in words,
// arguments shown as text (never markup), audit filters, pages and exports, the call page, and credentials
// managed (token shown once, audited as the person).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { formatToolCalls, listAuditEvents } from "../src/audit/index.ts";
import { ADMIN_TOKEN, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { flashOf, Visitor } from "./helpers/visitor.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const STATUS = "smartlead_update_campaign_status";
const PAUSE = "smartlead_pause_lead_by_campaign";
const REPLY = "smartlead_reply_to_lead_from_master_inbox";
const TICKET = { timeout: "10m", wait: "ticket" };
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    smartlead_delete_campaign: { action: "deny", reason: "people delete campaigns" },
    [RECONNECT]: { action: "require_approval", approval: TICKET },
    [REPLY]: { action: "require_approval", approval: TICKET },
    [STATUS]: { action: "require_approval", approval: { ...TICKET, min_approvals: 2 } },
    [PAUSE]: { action: "require_approval", approval: { ...TICKET, timeout: "5m", approvers: ["U0BOSS"] } },
  },
};

describe(`dashboard pages (${storageLabel()})`, () => {
  let gw: TestGateway;
  let admin: Visitor;
  let rita: Visitor;
  let sam: Visitor;
  let agent: Awaited<ReturnType<TestGateway["connect"]>>;

  async function hold(tool: string, args: Record<string, unknown>) {
    const created = nextApproval(gw);
    await agent.callTool({ name: tool, arguments: args });
    return created;
  }

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    admin = new Visitor(() => gw.url);
    rita = new Visitor(() => gw.url);
    sam = new Visitor(() => gw.url);
    await admin.signIn(ADMIN_TOKEN);
    await rita.signIn(await gw.createReviewer("rita"));
    await sam.signIn(await gw.createReviewer("sam"));
    agent = await gw.connect(await gw.createToken("growth-agent", "U0OWNER"));
  });
  after(() => gw.close());

  it("renders every page for the admin, and for a reviewer all but the admins' pages", async () => {
    for (const [path, title] of [
      ["/", "Pending approvals"],
      ["/audit", "Audit history"],
      ["/policies", "Policies"],
      ["/grants", "Grants"],
      ["/reviewers", "Reviewers"],
    ]) {
      const page = await admin.get(path!);
      assert.equal(page.status, 200, path);
      assert.match(page.text, new RegExp(`<h1>${title}</h1>`));
      assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self';.*frame-ancestors 'none'/);
      assert.equal(page.headers.get("cache-control"), "no-store");
      const asReviewer = await rita.get(path!);
      if (path === "/grants" || path === "/reviewers") {
        assert.equal(asReviewer.status, 403, path);
        assert.match(asReviewer.text, /<h1>Admins only<\/h1>/);
      } else {
        assert.equal(asReviewer.status, 200, path);
        assert.match(asReviewer.text, new RegExp(`<h1>${title}</h1>`));
      }
    }
    const nav = (await rita.get("/")).text;
    assert.doesNotMatch(nav, /href="\/grants"/, "reviewers are not offered the admins' sections");
    const missing = await admin.get("/no/such/page");
    assert.equal(missing.status, 404);
    assert.match(missing.text, /<h1>Not found<\/h1>/);
  });

  it("sends visitors without a session to sign in, and answers the page script's fragment requests with 401", async () => {
    const stranger = new Visitor(() => gw.url);
    const page = await stranger.get("/audit");
    assert.equal(page.status, 303);
    assert.equal(page.location, "/sign-in");
    assert.equal((await stranger.get("/approvals/board", { "x-gatehouse-fragment": "1" })).status, 401);
    const signIn = await stranger.get("/sign-in");
    assert.match(signIn.text, /<label for="token">Your reviewer token, or the admin token<\/label>/);
  });

  it("shows a held call with its redacted arguments as text, and decides it through the form", async () => {
    const args = { campaign_id: 1001, lead_id: 3001, message: "<script>alert(1)</script> Tuesday works.", subject: "token sk_live_abcdefghijklmnop" };
    const approval = await hold(REPLY, args);
    const page = (await rita.get("/")).text;
    const card = page.slice(page.indexOf(`id="approval-${approval.id}"`));
    assert.match(card, new RegExp(`<code>${REPLY}</code>`));
    assert.match(card, /asked by agent <strong>growth-agent<\/strong>/);
    assert.match(card, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, "the argument is shown as text");
    assert.doesNotMatch(page, /<script>alert/, "and never as markup");
    assert.doesNotMatch(page, /sk_live_abcdefghijklmnop/, "secrets stay redacted");
    assert.match(card, /<strong>0<\/strong> of 1 approval/);
    assert.match(card, /not connected/, "a ticket leaves no agent waiting");

    const own = await rita.get(`/approvals/${approval.id}`);
    assert.match(own.text, new RegExp(`<form class="decide" method="post" action="/approvals/${approval.id}/vote">`), "each approval has a page of its own");
    assert.equal((await rita.get(`/approvals/${randomUUID()}`)).status, 404);

    const forged = await rita.request("POST", `/approvals/${approval.id}/vote`, { vote: "approve" });
    assert.equal(forged.status, 403, "a form without the CSRF token is refused");
    assert.match(forged.text, /<h1>Nothing was changed<\/h1>/);
    const crossSite = await rita.request("POST", `/approvals/${approval.id}/vote`, { vote: "approve", _csrf: rita.csrf }, { origin: "https://evil.example" });
    assert.equal(crossSite.status, 403, "and so is one posted from another site");
    assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending", "nothing changed");

    const { posted, next } = await rita.post(`/approvals/${approval.id}/vote`, { vote: "approve", reason: "outage over" });
    assert.equal(posted.status, 303);
    assert.match(posted.headers.get("set-cookie") ?? "", /^gatehouse_flash=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=60$/);
    assert.equal(flashOf(next!.text), `Approved ${REPLY}. No agent is connected: it runs when the agent calls again before the deadline.`);
    assert.equal(flashOf((await rita.get("/")).text), null, "the message is shown once");
    const again = await sam.post(`/approvals/${approval.id}/vote`, { vote: "deny" });
    assert.equal(flashOf(again.next!.text), `${REPLY} was already decided (approved); your vote changed nothing.`);

    // The agent comes back, the call runs, and the call page tells the whole story.
    await agent.callTool({ name: REPLY, arguments: args });
    const call = (await sam.get(`/audit/calls/${approval.callId}`)).text;
    assert.match(call, new RegExp(`<h1>${REPLY}</h1>`));
    assert.match(call, /<strong>growth-agent<\/strong>/);
    assert.match(call, /&lt;script&gt;alert/);
    assert.doesNotMatch(call, /<script>alert|sk_live_/);
    assert.match(call, /<span class="badge tone-ok">approve<\/span> <strong>rita \(reviewer\)<\/strong> <code class="person-id">reviewer:rita<\/code> .*<\/div>\s*<div class="vote-reason"><q>outage over<\/q><\/div>\s*<div class="cell-note">via reviewer:rita, dashboard<\/div>/);
    assert.match(call, /<dt>Outcome<\/dt><dd><span class="badge tone-ok">succeeded<\/span> in \d/);
    assert.match(call, /<h3>Upstream answered <span class="muted">\(secrets redacted\)<\/span><\/h3>/);
    for (const type of ["approval.requested", "approval.approved", "approval.executing", "approval.succeeded"]) assert.match(call, new RegExp(`<code>${type}</code>`));
    assert.equal((await sam.get(`/audit/calls/${randomUUID()}`)).status, 404);
    assert.equal((await sam.get(`/audit/calls/not-a-call`)).status, 404);
  });

  it("says what a vote did: recorded short of the quorum, duplicate, decided, not allowed", async () => {
    const stop = await hold(STATUS, { campaign_id: 1002, status: "STOPPED" });
    const pause = await hold(PAUSE, { campaign_id: 1001, lead_id: 3001 });
    const board = (await rita.get("/")).text;
    assert.ok(board.indexOf(`id="approval-${pause.id}"`) < board.indexOf(`id="approval-${stop.id}"`), "the nearest deadline comes first");
    const first = await rita.post(`/approvals/${stop.id}/vote`, { vote: "approve" });
    assert.equal(flashOf(first.next!.text), `Your approval of ${STATUS} is recorded: 1 of 2 approvals. It runs once 1 more person approves.`);
    assert.match(first.next!.text, /<strong>1<\/strong> of 2 approvals/);
    assert.match(first.next!.text, /You voted to <strong>approve<\/strong>/);
    const twice = await rita.post(`/approvals/${stop.id}/vote`, { vote: "approve" });
    assert.equal(flashOf(twice.next!.text), `You already voted on ${STATUS}; a person's vote counts once. Nothing changed.`);
    const second = await sam.post(`/approvals/${stop.id}/vote`, { vote: "approve" });
    assert.match(flashOf(second.next!.text) ?? "", new RegExp(`^Approved ${STATUS}\\.`));

    const refused = await rita.post(`/approvals/${pause.id}/vote`, { vote: "approve" });
    assert.match(flashOf(refused.next!.text) ?? "", new RegExp(`^You may not approve ${PAUSE}: this tool has an approver list.* Nothing changed\\.$`));
    assert.equal((await gw.instance.approvals.repo.get(pause.id))?.status, "pending");
    const denied = await admin.post(`/approvals/${pause.id}/vote`, { vote: "deny", reason: "not this lead" });
    assert.equal(flashOf(denied.next!.text), `Denied ${PAUSE}. The agent is told it was denied, with your reason; nothing runs.`);
    const recent = denied.next!.text.slice(denied.next!.text.indexOf("Recently decided"));
    assert.match(recent, new RegExp(`<code>${PAUSE}</code>`));
    assert.match(recent, /<span class="badge tone-bad">denied<\/span>/);
    assert.match(recent, /not this lead/);
  });

  it("filters the audit history, pages through it and exports everything that matches", async () => {
    for (let i = 0; i < 27; i++) await agent.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 + (i % 3) } });
    await agent.callTool({ name: "smartlead_delete_campaign", arguments: { campaign_id: 1001 } });
    const rowsOf = (text: string) => [...text.matchAll(/<a href="\/audit\/calls\/([0-9a-f-]{36})"><code>([^<]+)<\/code><\/a>/g)].map((m) => m[2]);

    const denied = await rita.get("/audit?decision=deny");
    assert.deepEqual(rowsOf(denied.text), ["smartlead_delete_campaign"]);
    assert.match(denied.text, /<span class="rule-summary" title="\/tools\/smartlead_delete_campaign">tool rule<\/span>/, "the rule, short, with the full pointer on hover");
    const first = await rita.get("/audit?tool=smartlead_get_*&decision=allow&limit=25");
    assert.equal(rowsOf(first.text).length, 25);
    assert.ok(rowsOf(first.text).every((tool) => tool === "smartlead_get_campaign"));
    const older = /<a class="button secondary" rel="next" href="([^"]+)">Older/.exec(first.text)?.[1]?.replaceAll("&amp;", "&");
    assert.ok(older, "a next page is offered");
    const second = await rita.get(older);
    assert.equal(rowsOf(second.text).length, 2);
    assert.doesNotMatch(second.text, /rel="next"/);
    assert.match(second.text, /<a class="button secondary" href="\/audit\?tool=smartlead_get_\*&amp;decision=allow&amp;limit=25">← Newest<\/a>/);
    const lastHour = /<a href="(\/audit\?since=1h[^"]*)" class="chip">Last hour<\/a>/.exec(denied.text)?.[1]?.replaceAll("&amp;", "&");
    assert.equal(lastHour, "/audit?since=1h&decision=deny", "quick ranges keep the other filters");
    assert.deepEqual(rowsOf((await rita.get(lastHour)).text), ["smartlead_delete_campaign"]);

    const bad = await rita.get("/audit?since=yesterday");
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Cannot read &quot;yesterday&quot; as a time/);
    const none = await rita.get("/audit?grant=nobody");
    assert.match(none.text, /No calls match these filters/);

    const csv = await rita.get("/audit/export?format=csv&tool=smartlead_get_*&decision=allow");
    assert.match(csv.type, /^text\/csv/);
    assert.match(csv.headers.get("content-disposition") ?? "", /^attachment; filename="gatehouse-audit-.+\.csv"$/);
    const lines = csv.text.trimEnd().split("\r\n");
    assert.equal(`${lines[0]}\r\n`, formatToolCalls([], "csv"), "the columns of gatehouse audit export");
    assert.equal(lines.length, 28, "a header and all 27 calls, not one page");
    const json = await rita.get("/audit/export?format=json&tool=smartlead_get_*&decision=allow");
    const rows = JSON.parse(json.text) as Array<{ tool: string }>;
    assert.equal(rows.length, 27);
  });

  it("creates a grant with its token shown once, and revokes it after a confirmation; both audited as the admin", async () => {
    const refused = await rita.post("/grants", { name: "sneaky" });
    assert.equal(refused.posted.status, 403);
    assert.equal(await gw.instance.grants.findByName("sneaky"), null);
    const invalid = await admin.post("/grants", { name: "has spaces" });
    assert.equal(invalid.posted.status, 400);
    assert.match(invalid.posted.text, /<p class="field-error" id="field-name-error">use letters, digits/);
    assert.match(invalid.posted.text, /value="has spaces"/, "the form keeps what was typed");

    const created = await admin.post("/grants", { name: "ops-agent", owner: "U0OPS", labels: "team=ops\nenv=prod" });
    assert.equal(created.posted.status, 201);
    const token = /<input id="new-token" class="token" readonly value="(ghk_[^"]+)"/.exec(created.posted.text)?.[1];
    assert.ok(token, "the token is shown");
    assert.match(created.posted.text, /it is shown only this once/);
    assert.equal(created.posted.headers.get("cache-control"), "no-store");
    const list = await admin.get("/grants");
    assert.ok(!list.text.includes(token), "and never again");
    assert.match(list.text, /<span class="tag">team=ops<\/span>/);
    assert.equal((await admin.post("/grants", { name: "ops-agent" })).posted.status, 409);

    const opsAgent = await gw.connect(token);
    await opsAgent.callTool({ name: RECONNECT, arguments: { email_account_ids: [9] } });
    const confirm = await admin.get("/grants/ops-agent/revoke");
    assert.match(confirm.text, /<h1>Revoke grant “ops-agent”\?<\/h1>/);
    assert.match(confirm.text, /Its <strong>1 open approval<\/strong> is cancelled/);
    assert.equal((await admin.request("POST", "/grants/ops-agent/revoke", {})).status, 403, "no CSRF token, no revoke");
    const revoked = await admin.post("/grants/ops-agent/revoke");
    assert.equal(flashOf(revoked.next!.text), "Revoked grant ops-agent: its token no longer works. Cancelled 1 held call.");
    assert.ok((await gw.instance.grants.findByName("ops-agent"))?.revokedAt);

    const events = await listAuditEvents(gw.instance.database, { type: "grant.*" });
    assert.deepEqual(
      events.rows.filter((e) => (e.data as { grant?: string }).grant === "ops-agent").map((e) => [e.type, e.actor]).reverse(),
      [["grant.created", "admin"], ["grant.revoked", "admin"]],
    );
  });

  it("adds a reviewer whose token signs in, and removes them: their session ends at once", async () => {
    const added = await admin.post("/reviewers", { name: "tess", oidcIdentity: "Tess@Example.com" });
    assert.equal(added.posted.status, 201);
    const token = /<input id="new-token" class="token" readonly value="(ghr_[^"]+)"/.exec(added.posted.text)?.[1];
    assert.ok(token);
    const tess = new Visitor(() => gw.url);
    await tess.signIn(token);
    assert.match((await admin.get("/reviewers")).text, /<td>tess@example.com<\/td>/);
    const removed = await admin.post("/reviewers/tess/remove");
    assert.equal(flashOf(removed.next!.text), "Removed reviewer tess: their token and sessions no longer work.");
    assert.equal((await tess.get("/")).status, 303, "the removed reviewer is signed out");
    const events = await listAuditEvents(gw.instance.database, { type: "reviewer.*" });
    assert.deepEqual(events.rows.filter((e) => (e.data as { reviewer?: string }).reviewer === "tess").map((e) => [e.type, e.actor]).reverse(), [["reviewer.added", "admin"], ["reviewer.removed", "admin"]]);
  });

  it("lists each upstream's policy and says when an edit was rejected", async () => {
    const page = await rita.get("/policies");
    assert.match(page.text, /<td><a href="\/policies\/smartlead"><strong>smartlead<\/strong><\/a><\/td>/);
    assert.match(page.text, /<span class="badge tone-ok">loaded<\/span>/);
    const rejected = once(gw.instance.events, "policy.error");
    await gw.writePolicy("smartlead", { version: "1", default: "sometimes" });
    await rejected;
    const after = await rita.get("/policies");
    assert.match(after.text, /last edit rejected; the previous version is in force/);
    assert.match(after.text, /<ul class="issues"><li><code>[^<]*default/);
    await gw.writePolicy("smartlead", POLICY);
  });
});

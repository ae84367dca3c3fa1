// The dashboard's policy pages as a browser without JavaScript sees them, through the real app: each tool's
// effective decision for a chosen grant, the editor (validate, preview with diff and dry run, save), the
// versions and rollback; reviewers read and try out but may not save; every change needs the CSRF token; an
// invalid policy or a save that lost a race changes nothing and keeps the edited text; a save decides the next
// MCP call at once, and so does a rollback.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { listAuditEvents } from "../src/audit/index.ts";
import { sha256Text } from "../src/policies/index.ts";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { flashOf, Visitor } from "./helpers/visitor.ts";

const GET_CAMPAIGN = "smartlead_get_campaign";
const LIST_CAMPAIGNS = "smartlead_list_campaigns";
const DELETE_CAMPAIGN = "smartlead_delete_campaign";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [LIST_CAMPAIGNS]: { require: [{ path: "grant.labels.team", op: "eq", value: "growth", message: "only the growth team lists campaigns" }] },
    [DELETE_CAMPAIGN]: { action: "deny", reason: "<b>people</b> delete campaigns" },
  },
};
const POLICY_TEXT = JSON.stringify(POLICY, null, 2);
/** The same policy with reading one campaign denied: a one-line change. */
const DENY_GET = POLICY_TEXT.replace(`"smartlead_get_*": {},`, `"smartlead_get_*": {},\n    "${GET_CAMPAIGN}": { "action": "deny", "reason": "not today" },`);
const INVALID = POLICY_TEXT.replace(`"default": "deny"`, `"default": "sometimes"`);

function unescapeHtml(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
}

/** What the editor page holds: the text in the textarea and the hidden fields a browser would post back. */
function editorState(page: string): { content: string; expectedVersion: string; previewed: string } {
  const content = /<textarea id="policy-text"[^>]*>\n([\s\S]*?)<\/textarea>/.exec(page)?.[1];
  assert.ok(content !== undefined, "the page has the editor");
  const hidden = (name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(page)?.[1] ?? "";
  return { content: unescapeHtml(content), expectedVersion: hidden("expectedVersion"), previewed: hidden("previewed") };
}

/** One tool's row in the effective decisions table: its decision and the row's markup. */
function toolRow(page: string, tool: string): { decision: string; html: string } {
  const match = new RegExp(`<tr data-tool="${tool}" data-decision="([^"]+)">([\\s\\S]*?)</tr>`).exec(page);
  assert.ok(match, `the table has a row for ${tool}`);
  return { decision: match[1]!, html: match[2]! };
}

function ruleText(markup: string): string {
  return /<code class="rule">(.*?)<\/code>/.exec(markup)?.[1]?.replaceAll("<wbr>", "") ?? "";
}

describe(`dashboard policy pages (${storageLabel()})`, () => {
  let gw: TestGateway;
  let admin: Visitor;
  let rita: Visitor;
  let agent: Client;
  let policyFile: string;

  const version = async () => {
    const status = await gw.instance.policyAdmin.get("smartlead");
    assert.ok(!("code" in status));
    return status.version;
  };
  const callGetCampaign = () => agent.callTool({ name: GET_CAMPAIGN, arguments: { campaign_id: 1001 } });

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY_TEXT } });
    policyFile = (await gw.instance.policyAdmin.list()).policies[0]!.file;
    admin = new Visitor(() => gw.url);
    rita = new Visitor(() => gw.url);
    await admin.signIn(ADMIN_TOKEN);
    await rita.signIn(await gw.createReviewer("rita"));
    const growth = await gw.instance.grants.create("growth-agent", { owner: "U0OWNER", labels: { team: "growth" } });
    assert.ok(growth.ok);
    await gw.createToken("support-agent");
    agent = await gw.connect(growth.token);
  });
  after(() => gw.close());

  it("lists each upstream with its version and links to its page", async () => {
    const page = await rita.get("/policies");
    assert.equal(page.status, 200);
    assert.match(page.text, /<td><a href="\/policies\/smartlead"><strong>smartlead<\/strong><\/a><\/td>/);
    assert.match(page.text, /<td class="num">1<\/td>/, "version 1, found in the file at start");
  });

  it("shows each tool's effective decision for a chosen grant, with the rule that decides", async () => {
    const any = await rita.get("/policies/smartlead");
    assert.equal(any.status, 200);
    assert.match(any.text, /<h1>smartlead<\/h1>/);
    assert.match(any.text, /For any grant: where a decision depends on the grant's owner or labels, the condition is listed/);
    assert.deepEqual([toolRow(any.text, GET_CAMPAIGN).decision, ruleText(toolRow(any.text, GET_CAMPAIGN).html)], ["allow", "/tools/smartlead_get_*"]);
    const open = toolRow(any.text, LIST_CAMPAIGNS);
    assert.equal(open.decision, "conditional");
    assert.match(open.html, /denied unless grant\.labels\.team equals &quot;growth&quot;/);
    assert.match(toolRow(any.text, DELETE_CAMPAIGN).html, /&lt;b&gt;people&lt;\/b&gt; delete campaigns/, "a reason is text, never markup");
    assert.equal(toolRow(any.text, "smartlead_create_campaign").decision, "deny");
    assert.equal(ruleText(toolRow(any.text, "smartlead_create_campaign").html), "/default");

    const growth = await rita.get("/policies/smartlead?grant=growth-agent");
    assert.match(growth.text, /For grant <strong>growth-agent<\/strong> \(owner U0OWNER\) with labels <span class="tag">team=growth<\/span>/);
    assert.equal(toolRow(growth.text, LIST_CAMPAIGNS).decision, "allow");
    const support = await rita.get("/policies/smartlead?grant=support-agent");
    const refused = toolRow(support.text, LIST_CAMPAIGNS);
    assert.deepEqual([refused.decision, ruleText(refused.html)], ["deny", "/tools/smartlead_list_campaigns/require/0"]);
    assert.match(refused.html, /only the growth team lists campaigns/);
    assert.match(refused.html, /not in this grant&#39;s tools\/list/);

    const filtered = await rita.get("/policies/smartlead?grant=support-agent&tool=campaign&decision=deny");
    const rows = [...filtered.text.matchAll(/<tr data-tool="([^"]+)" data-decision="([^"]+)">/g)];
    assert.ok(rows.length > 0);
    assert.ok(rows.every(([, tool, decision]) => tool!.includes("campaign") && decision === "deny"));
    const unknown = await rita.get("/policies/smartlead?grant=nobody");
    assert.match(unknown.text, /No grant named &quot;nobody&quot;: showing the decisions for any grant\./);
    assert.equal((await rita.get("/policies/nowhere")).status, 404);
  });

  it("lets a reviewer validate and preview an edit, but not save or roll back (403); nothing changes", async () => {
    const editor = await rita.get("/policies/smartlead/edit");
    assert.equal(editor.status, 200);
    assert.equal(editorState(editor.text).content, POLICY_TEXT, "the editor holds the file's exact text");
    assert.doesNotMatch(editor.text, /value="save"/);
    assert.match(editor.text, /Only the admin can save; you can validate and preview\./);
    assert.match(editor.text, /<input id="field-limit" name="limit" type="number" min="1" max="1000" value="200">/, "the dry run replays the last 200 calls unless told otherwise");
    const preview = await rita.post("/policies/smartlead/edit", { content: DENY_GET, expectedVersion: "1", action: "preview" });
    assert.equal(preview.posted.status, 200);
    assert.match(preview.posted.text, /data-dry-run/);
    const saved = await rita.post("/policies/smartlead/edit", { content: DENY_GET, expectedVersion: "1", previewed: sha256Text(DENY_GET), action: "save" });
    assert.equal(saved.posted.status, 403);
    assert.match(saved.posted.text, /<h1>Admins only<\/h1>/);
    const rolledBack = await rita.post("/policies/smartlead/versions/1/rollback", { expectedVersion: "1" });
    assert.equal(rolledBack.posted.status, 403);
    assert.equal(await version(), 1);
    assert.equal(await readFile(policyFile, "utf8"), POLICY_TEXT);
  });

  it("refuses a save or a rollback without the CSRF token, and changes nothing", async () => {
    const saved = await admin.request("POST", "/policies/smartlead/edit", { _csrf: "", content: DENY_GET, expectedVersion: "1", previewed: sha256Text(DENY_GET), action: "save" });
    assert.equal(saved.status, 403);
    assert.match(saved.text, /<h1>Nothing was changed<\/h1>/);
    const rolledBack = await admin.request("POST", "/policies/smartlead/versions/1/rollback", { _csrf: "wrong", expectedVersion: "1" });
    assert.equal(rolledBack.status, 403);
    assert.equal(await version(), 1);
    assert.equal(await readFile(policyFile, "utf8"), POLICY_TEXT);
  });

  it("shows an invalid policy's problems next to the editor with pointer and line, keeps the text, and saves nothing", async () => {
    const checked = await admin.post("/policies/smartlead/edit", { content: INVALID, expectedVersion: "1", action: "validate" });
    assert.equal(checked.posted.status, 200);
    assert.match(checked.posted.text, /data-validation="invalid"/);
    assert.match(checked.posted.text, /<code class="rule">\/<wbr>default<\/code> [^<]*<a class="goto-line" href="#policy-text" data-goto-line="3" data-goto-column="\d+">line 3, column \d+<\/a>/);
    assert.match(checked.posted.text, /aria-invalid="true" aria-describedby="policy-problems"/);
    assert.equal(editorState(checked.posted.text).content, INVALID);

    // Even a forged "previewed" cannot get an invalid text saved.
    const saved = await admin.post("/policies/smartlead/edit", { content: INVALID, expectedVersion: "1", previewed: sha256Text(INVALID), action: "save" });
    assert.equal(saved.posted.status, 422);
    assert.match(saved.posted.text, /data-validation="invalid"/);
    assert.equal(editorState(saved.posted.text).content, INVALID);
    const hostile = `${INVALID}</textarea><script>alert(1)</script>`;
    const escaped = await admin.post("/policies/smartlead/edit", { content: hostile, action: "validate" });
    assert.doesNotMatch(escaped.posted.text, /<script>alert/);
    assert.equal(editorState(escaped.posted.text).content, hostile);
    assert.equal(await version(), 1);
    assert.equal(await readFile(policyFile, "utf8"), POLICY_TEXT);
  });

  it("previews the diff and the changed decisions of recent calls, then saves; the next MCP call is decided by the new version", async () => {
    assert.notEqual((await callGetCampaign()).isError, true, "allowed before the edit");
    const start = editorState((await admin.get("/policies/smartlead/edit")).text);

    // Save straight away: nothing is saved before the diff and dry run of this text are shown.
    const unchecked = await admin.post("/policies/smartlead/edit", { content: DENY_GET.replaceAll("\n", "\r\n"), expectedVersion: start.expectedVersion, action: "save" });
    assert.equal(unchecked.posted.status, 200);
    assert.match(unchecked.posted.text, /Nothing was saved yet: check the diff and the dry run of this text, then Save again\./);
    assert.equal(await version(), 1);
    const previewed = editorState(unchecked.posted.text);
    assert.equal(previewed.content, DENY_GET, "the browser's CRLF line breaks become the file's LF");
    assert.equal(previewed.previewed, sha256Text(DENY_GET));
    assert.match(unchecked.posted.text, /Tools added: <code>smartlead_get_campaign<\/code>/);
    assert.match(unchecked.posted.text, /<a class="diff-add" href="#policy-text" data-goto-line="6" data-goto-column="1"[^>]*>\+ {4}&quot;smartlead_get_campaign&quot;: \{ &quot;action&quot;: &quot;deny&quot;/);
    const changedRows = [...unchecked.posted.text.matchAll(/<tr data-call-id="([^"]+)">([\s\S]*?)<\/tr>/g)];
    assert.equal(changedRows.length, 1, "the one audited call whose decision changes");
    const [, callId, row] = changedRows[0]!;
    assert.match(row!, new RegExp(`<a href="/audit/calls/${callId}"><code>${GET_CAMPAIGN}</code></a>`));
    assert.match(row!, /<span class="badge tone-ok">allow<\/span> <span aria-label="becomes">→<\/span> <span class="badge tone-bad">deny<\/span>/);

    const saved = await admin.post("/policies/smartlead/edit", { ...previewed, comment: "pause reads", limit: "50", action: "save" });
    assert.equal(saved.posted.status, 303);
    assert.equal(saved.posted.location, "/policies/smartlead");
    assert.equal(flashOf(saved.next!.text), "Saved version 2 of smartlead's policy. It is in force now.");
    assert.equal(toolRow(saved.next!.text, GET_CAMPAIGN).decision, "deny");
    assert.match(saved.next!.text, /<tr data-version="2">[\s\S]*?<td>admin<\/td>\s*<td>saved from the dashboard<\/td>\s*<td>pause reads<\/td>/);
    assert.equal(await readFile(policyFile, "utf8"), DENY_GET);

    const denied = await callGetCampaign();
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /not today/);
    const events = await listAuditEvents(gw.instance.database, { type: "policy.saved" });
    assert.deepEqual(events.rows.map((e) => [e.actor, (e.data as { source?: string }).source]).slice(0, 1), [["admin", "dashboard"]]);
  });

  it("refuses a save when someone else saved meanwhile, keeps the edited text, and saves once checked against their version", async () => {
    const start = editorState((await admin.get("/policies/smartlead/edit")).text);
    const mine = start.content.replace(`"reason": "not today"`, `"reason": "not this week"`);
    const preview = editorState((await admin.post("/policies/smartlead/edit", { ...start, content: mine, action: "preview" })).posted.text);

    const theirs = start.content.replace(`"reason": "not today"`, `"reason": "maintenance"`);
    const other = await gw.instance.policyAdmin.save("smartlead", theirs, { by: "reviewer:omar", source: "api", expectedVersion: Number(start.expectedVersion) });
    assert.ok(!("code" in other));

    const refused = await admin.post("/policies/smartlead/edit", { ...preview, action: "save" });
    assert.equal(refused.posted.status, 409);
    assert.match(refused.posted.text, new RegExp(`Not saved: version ${other.version.version} was saved by omar \\(reviewer\\) after you started editing\\.`));
    const kept = editorState(refused.posted.text);
    assert.equal(kept.content, mine, "the edited text is still in the editor");
    assert.equal(kept.expectedVersion, String(other.version.version), "the next save starts from their version");
    assert.match(refused.posted.text, new RegExp(`Changes <span class="muted">against version ${other.version.version}</span>`));
    assert.match(refused.posted.text, /<span class="diff-del">- {4}&quot;smartlead_get_campaign&quot;: \{ &quot;action&quot;: &quot;deny&quot;, &quot;reason&quot;: &quot;maintenance&quot; \},<\/span>/);
    assert.equal(await readFile(policyFile, "utf8"), theirs, "their save stands");

    const saved = await admin.post("/policies/smartlead/edit", { ...kept, action: "save" });
    assert.equal(saved.posted.status, 303);
    assert.equal(flashOf(saved.next!.text), `Saved version ${other.version.version + 1} of smartlead's policy. It is in force now.`);
    assert.equal(await readFile(policyFile, "utf8"), mine);
  });

  it("rolls back to an earlier version after showing what changes; the next MCP call is decided by it again", async () => {
    const newest = (await version())!;
    const confirm = await admin.get("/policies/smartlead/versions/1?grant=growth-agent");
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /<h2 id="rollback-title">Roll back to version 1\?<\/h2>/);
    assert.match(confirm.text, new RegExp(`What rolling back to version 1 changes <span class="muted">against version ${newest}</span>`));
    const changed = [...confirm.text.matchAll(/<tr data-call-id="[^"]+">([\s\S]*?)<\/tr>/g)].map(([, row]) => row!);
    assert.ok(changed.some((row) => row.includes(`<code>${GET_CAMPAIGN}</code>`) && /tone-bad">deny<\/span> <span aria-label="becomes">→<\/span> <span class="badge tone-ok">allow/.test(row)));
    const expected = /<input type="hidden" name="expectedVersion" value="(\d+)">/.exec(confirm.text)?.[1];
    assert.equal(expected, String(newest));
    assert.match(confirm.text, /<input type="hidden" name="grant" value="growth-agent">/);
    // Rita's pages show the versions but no rollback form.
    assert.match((await rita.get("/policies/smartlead")).text, /<a class="button small secondary" href="\/policies\/smartlead\/versions\/1">View<\/a>/);
    const asReviewer = await rita.get("/policies/smartlead/versions/1");
    assert.doesNotMatch(asReviewer.text, /rollback-title/);
    assert.match(asReviewer.text, /Only the admin can roll back a policy\./);

    const stale = await admin.post("/policies/smartlead/versions/1/rollback", { expectedVersion: String(newest - 1) });
    assert.equal(stale.posted.status, 303);
    assert.equal(flashOf(stale.next!.text), `Someone saved version ${newest} meanwhile, so nothing was rolled back. Check what rolling back changes now, then confirm again.`);
    assert.equal(await version(), newest);

    const rolledBack = await admin.post("/policies/smartlead/versions/1/rollback", { expectedVersion: expected!, comment: "reads are fine", grant: "growth-agent" });
    assert.equal(rolledBack.posted.location, "/policies/smartlead?grant=growth-agent", "back to the decisions for the grant the page showed");
    assert.equal(flashOf(rolledBack.next!.text), `Rolled back smartlead to the text of version 1, saved as version ${newest + 1}. It is in force now.`);
    assert.equal(toolRow(rolledBack.next!.text, GET_CAMPAIGN).decision, "allow");
    assert.match(rolledBack.next!.text, new RegExp(`<tr data-version="${newest + 1}">[\\s\\S]*?<span class="badge tone-ok">in force</span>[\\s\\S]*?<td>rollback to version 1</td>\\s*<td>reads are fine</td>`));
    assert.equal(await readFile(policyFile, "utf8"), POLICY_TEXT);
    assert.notEqual((await callGetCampaign()).isError, true, "allowed again");
  });

  it("says when the last edit of the file was rejected, and the editor starts from that file to fix it", async () => {
    const rejected = once(gw.instance.events, "policy.error");
    await gw.writePolicy("smartlead", INVALID);
    await rejected;
    const page = await rita.get("/policies/smartlead");
    assert.match(page.text, /<div class="notice error" role="alert" data-policy-state="rejected"><strong>The last edit of the file was rejected\.<\/strong> The previous version stays in force until a valid one is saved\.<ul class="issues"><li><code>[^<]*default/);
    assert.equal(toolRow(page.text, GET_CAMPAIGN).decision, "allow", "the previous version still decides");
    const editor = await admin.get("/policies/smartlead/edit");
    assert.match(editor.text, /The editor starts from the file as it is on disk, including the edit that was rejected, so you can fix it\./);
    assert.equal(editorState(editor.text).content, INVALID);
  });
});

describe(`dashboard policy page of an upstream that is down (${storageLabel()})`, () => {
  let gw: TestGateway;
  let admin: Visitor;

  before(async () => {
    const broken = { command: process.execPath, args: ["-e", "process.exit(3)"] };
    gw = await startTestGateway({ upstreams: { crm: broken }, policies: { crm: { version: "1", default: "deny", tools: { crm_read_contact: {} } } } });
    admin = new Visitor(() => gw.url);
    await admin.signIn(ADMIN_TOKEN);
  });
  after(() => gw.close());

  it("shows the upstream down with its error, and the tools the policy names", async () => {
    // Between two reconnect attempts the upstream is "down"; during one it is "connecting" for a moment.
    const list = await admin.get("/policies");
    assert.match(list.text, /<span class="badge tone-(?:bad|warn)">(?:down|connecting)<\/span><div class="cell-note error-text">[^<]+<\/div>/);
    const page = await admin.get("/policies/crm");
    assert.equal(page.status, 200);
    assert.match(page.text, /<dt>Upstream<\/dt><dd><span class="badge tone-(?:bad|warn)">(?:down|connecting)<\/span>/);
    assert.match(page.text, /The upstream's tools could not be listed \(upstream (?:down|connecting)\): only the tools the policy names are shown\./);
    const row = toolRow(page.text, "crm_read_contact");
    assert.equal(row.decision, "allow");
    assert.match(row.html, /the upstream does not offer this tool/);
  });
});

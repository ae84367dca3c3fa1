// The policy pages in a real browser (Debian's Chromium through playwright-core): the admin picks a grant and
// sees a tool's effective decision, edits the policy (a problem's line link selects it in the editor), previews
// the dry run and sees the changed decision of a real audited call, saves and sees the decision change for the
// agent and on the page, then rolls back to the first version and sees it change back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Locator, Page } from "playwright-core";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { launchBrowser, signInWithToken, type TestBrowser } from "./helpers/browser.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const GET_CAMPAIGN = "smartlead_get_campaign";
const POLICY_TEXT = JSON.stringify({ version: "1", default: "deny", tools: { "smartlead_get_*": {} } }, null, 2);

/** The editor's selected text, and whether it has the focus. */
function selectionOf(editor: Locator): Promise<{ isFocused: boolean; text: string }> {
  return editor.evaluate((element) => {
    const area = element as unknown as { value: string; selectionStart: number; selectionEnd: number };
    const { document } = globalThis as unknown as { document: { activeElement: unknown } };
    return { isFocused: document.activeElement === element, text: area.value.slice(area.selectionStart, area.selectionEnd) };
  });
}

describe(`policy pages in a browser (${storageLabel()})`, () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let agent: Client;

  const decisionOf = (tool: string) => page.locator(`tr[data-tool="${tool}"] td:nth-child(2) .badge`);
  const callGetCampaign = () => agent.callTool({ name: GET_CAMPAIGN, arguments: { campaign_id: 1001 } });

  before(async () => {
    browser = await launchBrowser();
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY_TEXT } });
    agent = await gw.connect(await gw.createToken("growth-agent"));
    page = await browser.newPage();
    await signInWithToken(page, gw.url, ADMIN_TOKEN);
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  it("shows the effective decision for the grant picked in the page", async () => {
    await page.getByRole("link", { name: "Policies", exact: true }).click();
    await page.getByRole("link", { name: "smartlead", exact: true }).click();
    await page.waitForURL(`${gw.url}/policies/smartlead`);
    await page.getByLabel("Grant").selectOption("growth-agent");
    await page.waitForURL(/\/policies\/smartlead\?grant=growth-agent/);
    await page.getByText("For grant growth-agent.").waitFor();
    assert.equal(await decisionOf(GET_CAMPAIGN).textContent(), "allow");
  });

  it("edits with a dry run that lists the changed decision, saves, and the decision changes", async () => {
    assert.notEqual((await callGetCampaign()).isError, true, "allowed before the edit");
    await page.getByRole("link", { name: "Edit policy" }).click();
    const editor = page.getByLabel("Policy (JSON)");
    assert.equal(await editor.inputValue(), POLICY_TEXT);

    await editor.fill(POLICY_TEXT.replace(`"default": "deny"`, `"default": "sometimes"`));
    await page.getByRole("button", { name: "Validate" }).click();
    const problem = page.locator("ul.problems.issues li", { hasText: "/default" });
    await problem.waitFor();
    await problem.getByRole("link", { name: /^line 3, column \d+$/ }).click();
    const selected = await selectionOf(editor);
    assert.equal(selected.isFocused, true, "the link puts the cursor in the editor");
    assert.match(selected.text, /"sometimes",$/, "and selects the problem's place on line 3");

    const denying = POLICY_TEXT.replace(`"smartlead_get_*": {}`, `"smartlead_get_*": {},\n    "${GET_CAMPAIGN}": { "action": "deny", "reason": "not today" }`);
    await editor.fill(denying);
    await page.getByLabel("Comment (optional)").fill("pause reads");
    await page.getByRole("button", { name: "Preview diff and dry run" }).click();
    await page.locator("pre.diff a.diff-add", { hasText: GET_CAMPAIGN }).click();
    assert.equal((await selectionOf(editor)).text, `    "${GET_CAMPAIGN}": { "action": "deny", "reason": "not today" }`, "an added line in the diff selects that line in the editor");
    const changed = page.locator("[data-dry-run] tbody tr");
    await changed.first().waitFor();
    assert.equal(await changed.count(), 1);
    assert.match((await changed.first().innerText()).replace(/\s+/g, " "), new RegExp(`${GET_CAMPAIGN} growth-agent · .* allow → deny /tools/${GET_CAMPAIGN}`));
    await page.getByText("The policy is valid.").waitFor();

    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(`${gw.url}/policies/smartlead?grant=growth-agent`);
    await page.getByText("For grant growth-agent.").waitFor();
    await page.getByRole("status").filter({ hasText: "Saved version 2 of smartlead's policy. It is in force now." }).waitFor();
    assert.equal(await decisionOf(GET_CAMPAIGN).textContent(), "deny");
    const denied = await callGetCampaign();
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /not today/);
  });

  it("rolls back to the first version after a confirmation, and the decision changes back", async () => {
    await page.locator('tr[data-version="1"]').getByRole("link", { name: "Roll back…" }).click();
    await page.getByRole("heading", { name: "Roll back to version 1?" }).waitFor();
    const changed = page.locator("[data-dry-run] tbody tr", { hasText: GET_CAMPAIGN });
    assert.match((await changed.first().innerText()).replace(/\s+/g, " "), /deny → allow/);
    await page.getByRole("button", { name: "Roll back to version 1" }).click();
    await page.getByRole("status").filter({ hasText: "Rolled back smartlead to the text of version 1, saved as version 3. It is in force now." }).waitFor();
    await page.getByText("For grant growth-agent.").waitFor();
    assert.equal(await decisionOf(GET_CAMPAIGN).textContent(), "allow");
    assert.match(await page.locator('tr[data-version="3"]').innerText(), /in force[\s\S]*rollback to version 1/);
    assert.notEqual((await callGetCampaign()).isError, true, "allowed again");
  });
});

// The dashboard in a real browser (Debian's Chromium through playwright-core): a reviewer signs in with their
// token, a call held by a real MCP client appears on the pending page without a reload, the reviewer approves it
// there and the agent's waiting request gets the upstream's real answer; then the call is found in the audit
// view with a filter and its page opened. Chromium missing is a failure that says how to install it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { ADMIN_TOKEN, FAST_APPROVALS } from "./helpers/approvals.ts";
import { launchBrowser, signInWithToken, type TestBrowser } from "./helpers/browser.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } } } };

describe(`dashboard in a browser (${storageLabel()})`, () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    browser = await launchBrowser();
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
    page = await browser.newPage();
    await signInWithToken(page, gw.url, await gw.createReviewer("bea"));
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  it("shows a held call live, and approving it in the page gives the waiting agent the real result", async () => {
    await page.locator('[data-live-status][data-state="live"]').waitFor();
    await page.getByText("Nothing is waiting.").waitFor();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    const agentToken = await gw.createToken("growth-agent");
    const agent = await gw.connect(agentToken);
    const answer = agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } }, undefined, { timeout: 120_000 });

    const card = page.locator("article.approval", { has: page.getByRole("heading", { name: RECONNECT }) });
    await card.waitFor();
    assert.equal(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded), true, "the card arrived without a reload");
    await card.getByText("waiting on a held request").waitFor();
    assert.match((await card.locator("pre.json").textContent()) ?? "", /"email_account_ids": \[\s*501\s*\]/);
    assert.match((await card.locator(".quorum").textContent()) ?? "", /0 of 1 approval/);

    const countdown = card.locator(".countdown");
    const shown = (await countdown.textContent()) ?? "";
    assert.match(shown, /^\d+ min \d+ s left$/);
    await countdown.filter({ hasNotText: new RegExp(`^${shown}$`) }).waitFor();

    // The agent calls again (it attaches): the card updates live and keeps the reason being typed.
    await card.getByLabel(/^Reason/).fill("provider outage is over");
    const again = await gw.connect(agentToken);
    const secondAnswer = again.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } }, undefined, { timeout: 120_000 });
    await card.getByText("came back 1 time").waitFor();
    assert.equal(await card.getByLabel(/^Reason/).inputValue(), "provider outage is over");
    await card.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("status").filter({ hasText: `Approved ${RECONNECT}. It runs now and the agent gets the result.` }).waitFor();

    const result = JSON.parse(textOf(await answer)) as { ok: boolean; requested: number; results: Array<{ email_account_id: number }> };
    assert.equal(result.ok, true);
    assert.equal(result.requested, 1);
    assert.equal(result.results[0]?.email_account_id, 501);
    assert.equal(textOf(await secondAnswer), textOf(await answer), "the call ran once; both requests got its answer");
    // The board follows the call to its end without a reload.
    const recent = page.locator("section", { has: page.getByRole("heading", { name: "Recently decided" }) });
    await recent.getByRole("row", { name: new RegExp(`${RECONNECT}.*succeeded`) }).waitFor();
    await page.getByText("Nothing is waiting.").waitFor();
  });

  it("finds the call in the audit view with a filter, and its page says who approved what", async () => {
    await page.getByRole("link", { name: "Audit", exact: true }).click();
    await page.getByLabel("Tool").fill("smartlead_reconnect_*");
    await page.getByLabel("Decision").selectOption("require_approval");
    await page.getByLabel("Status").selectOption("succeeded");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/\/audit\?.*tool=smartlead_reconnect_/);
    const rows = page.locator("table.audit-table tbody tr");
    assert.equal(await rows.count(), 1, "the first call, not the identical one that attached to its approval");
    await rows.first().getByRole("link", { name: RECONNECT }).click();

    await page.getByRole("heading", { level: 1, name: RECONNECT }).waitFor();
    const decided = page.locator("section", { has: page.getByRole("heading", { name: "Who decided" }) });
    assert.match((await decided.textContent()) ?? "", /bea \(reviewer\)[\s\S]*approve[\s\S]*provider outage is over/);
    const ran = page.locator("section", { has: page.getByRole("heading", { name: "What ran" }) });
    assert.match((await ran.textContent()) ?? "", /succeeded/);
    assert.match((await ran.locator("pre.json").textContent()) ?? "", /"email_account_id": 501/);
  });

  it("shows a reviewer who opens /grants that it is for admins only", async () => {
    assert.equal(await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Grants" }).count(), 0);
    const response = await page.goto(`${gw.url}/grants`);
    assert.equal(response?.status(), 403);
    await page.getByRole("heading", { level: 1, name: "Admins only" }).waitFor();
  });

  it("lets the admin create a grant and copy its token, shown once", async () => {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: gw.url });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${gw.url}/sign-in`);
    await signInWithToken(page, gw.url, ADMIN_TOKEN);
    await page.getByRole("link", { name: "Grants" }).click();
    await page.getByLabel("Name").fill("browser-agent");
    await page.getByRole("button", { name: "Create grant" }).click();
    const token = await page.getByLabel("Token", { exact: true }).inputValue();
    assert.match(token, /^ghk_/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied").waitFor();
    const clipboard = () => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText();
    assert.equal(await page.evaluate(clipboard), token);
    await page.getByRole("link", { name: "Grants" }).click();
    assert.equal(await page.getByLabel("Token", { exact: true }).count(), 0, "the token is not shown again");
  });
});

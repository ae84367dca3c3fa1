// The auditor's path in a real browser (Debian's Chromium through playwright-core): a held call needing two
// approvals is approved by one reviewer in the dashboard and another over the API; then, in the audit view,
// the call is found with the tool glob and the reviewer filter (either voter finds it) and its page opened:
// the chain verifies, both voters are there with their channel and reason, and the upstream's answer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { launchBrowser, signInWithToken, type TestBrowser } from "./helpers/browser.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const STATUS = "smartlead_update_campaign_status";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [RECONNECT]: { action: "require_approval", approval: { min_approvals: 2, timeout: "10m" } },
    [STATUS]: { action: "require_approval", approval: { timeout: "10m" } },
  },
};

describe(`the call page in a browser (${storageLabel()})`, () => {
  let gw: TestGateway;
  let browser: TestBrowser;
  let page: Page;
  let heldCallId: string;

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

  it("a reviewer approves in the page, another over the API, and the agent gets its answer", async () => {
    const [carl, dora] = [await gw.createReviewer("carl"), await gw.createReviewer("dora")];
    const agent = await gw.connect(await gw.createToken("ops-agent"));
    // Other calls the filters must leave out: another tool someone else approved, and an allowed call.
    const other = nextApproval(gw);
    const stopped = agent.callTool({ name: STATUS, arguments: { campaign_id: 1002, status: "STOPPED" } }, undefined, { timeout: 120_000 });
    await decide(gw, (await other).id, "approve", { token: dora, reason: "budget spent" });
    await stopped;
    await agent.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 } });

    const created = nextApproval(gw);
    const answer = agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } }, undefined, { timeout: 120_000 });
    const approval = await created;
    heldCallId = approval.callId;
    const card = page.locator("article.approval", { has: page.getByRole("heading", { name: RECONNECT }) });
    await card.getByLabel(/^Reason/).fill("the mailbox shows auth errors");
    await card.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("status").filter({ hasText: `Your approval of ${RECONNECT} is recorded: 1 of 2 approvals.` }).waitFor();
    assert.equal((await decide(gw, approval.id, "approve", { token: carl, reason: "agreed" })).status, 200);
    assert.equal((JSON.parse(textOf(await answer)) as { ok: boolean }).ok, true);
  });

  for (const reviewer of ["carl", "bea"]) {
    it(`finds the call in the audit view by tool glob and reviewer ${reviewer}, and its page shows the voters and the result`, async () => {
      await page.getByRole("link", { name: "Audit", exact: true }).click();
      await page.getByLabel("Tool").fill("smartlead_*");
      await page.getByLabel("Reviewer").fill(reviewer);
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(new RegExp(`/audit\\?.*reviewer=${reviewer}`));
      const rows = page.locator("table.audit-table tbody tr");
      assert.equal(await rows.count(), 1, "only the call this person voted on");
      await rows.first().getByRole("link", { name: RECONNECT }).click();
      await page.waitForURL(`${gw.url}/audit/calls/${heldCallId}`);

      await page.getByRole("heading", { level: 1, name: RECONNECT }).waitFor();
      const chain = page.getByRole("region", { name: /Chain check/ });
      assert.match((await chain.textContent()) ?? "", /verified \(5 event\(s\), seq \d+–\d+\); the rows agree with their events/);
      const votes = page.getByRole("region", { name: "Who decided" }).locator("ol.vote-list > li");
      assert.equal(await votes.count(), 2);
      assert.match((await votes.nth(0).innerText()).replace(/\s+/g, " "), /^approve bea \(reviewer\) reviewer:bea .+ the mailbox shows auth errors via reviewer:bea, dashboard$/);
      assert.match((await votes.nth(1).innerText()).replace(/\s+/g, " "), /^approve carl \(reviewer\) reviewer:carl .+ agreed via reviewer:carl, api$/);
      assert.match((await votes.nth(0).locator("time").textContent()) ?? "", /\d{2}:\d{2}:\d{2}[.,]\d{3}/, "vote times to the millisecond, in the reader's time zone");
      const ran = page.getByRole("region", { name: "What ran" });
      assert.match((await ran.textContent()) ?? "", /Outcome\s*succeeded in \d+ ms/);
      assert.match((await ran.locator("pre.json").textContent()) ?? "", /"email_account_id": 501/);
      const width = await page.evaluate(() => {
        const view = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
        return [view.document.documentElement.scrollWidth, view.innerWidth];
      });
      assert.ok(width[0]! <= width[1]!, `the page fits a laptop screen without scrolling sideways (${width.join(" > ")})`);
    });
  }
});

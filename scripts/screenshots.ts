// `npm run screenshots`: starts a gateway with the demo upstream and policy, makes the calls a real day would
// (allowed, denied, held and approved, held and denied, held and waiting), then captures each main dashboard
// page at laptop size into docs/screenshots/*.png.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Page } from "playwright-core";
import { listToolCalls } from "../src/audit/index.ts";
import { PROJECT_ROOT } from "../src/config/index.ts";
import { decide, FAST_APPROVALS, nextApproval } from "../test/helpers/approvals.ts";
import { launchBrowser, signInWithToken } from "../test/helpers/browser.ts";
import { DEMO_UPSTREAM, startTestGateway, type TestGateway } from "../test/helpers/gateway.ts";

const OUT = join(PROJECT_ROOT, "docs", "screenshots");
const ADMIN_TOKEN = "admin-token-for-tests";

async function demoPolicy(): Promise<unknown> {
  const policy = JSON.parse(await readFile(join(PROJECT_ROOT, "policies", "smartlead.json"), "utf8")) as { tools: Record<string, { approval?: { min_approvals?: number } }> };
  // Two people must agree to stop a campaign here, so the board shows a vote short of its quorum; and to
  // reconnect mailboxes, so the call page shows two voters.
  policy.tools.smartlead_update_campaign_status!.approval!.min_approvals = 2;
  policy.tools.smartlead_reconnect_failed_email_accounts!.approval!.min_approvals = 2;
  return policy;
}

/** Starts a held call without waiting for it; resolves with the approval it opened. */
async function hold(gw: TestGateway, agent: Client, name: string, args: Record<string, unknown>) {
  const created = nextApproval(gw);
  const result = agent.callTool({ name, arguments: args }, undefined, { timeout: 600_000 }).catch(() => null);
  return { approval: await created, result };
}

async function seed(gw: TestGateway): Promise<{ alice: string }> {
  const alice = await gw.createReviewer("alice");
  const bob = await gw.createReviewer("bob", "U04BOB7K2");
  await gw.createReviewer("carol");
  const growth = await gw.connect(await gw.createToken("growth-agent", "U02OWNER9"));
  const support = await gw.connect(await gw.createToken("support-agent"));
  await gw.instance.grants.create("old-prototype");
  await gw.instance.grants.revoke("old-prototype");

  await growth.callTool({ name: "smartlead_list_campaigns", arguments: { status: "active" } });
  await growth.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 } });
  await growth.callTool({ name: "smartlead_delete_campaign", arguments: { campaign_id: 1004 } });
  await support.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1002 } });

  const reconnect = await hold(gw, growth, "smartlead_reconnect_failed_email_accounts", { email_account_ids: [501, 502] });
  await decide(gw, reconnect.approval.id, "approve", { token: alice, reason: "Provider confirmed the outage is over" });
  await decide(gw, reconnect.approval.id, "approve", { token: bob, reason: "Both mailboxes fail SMTP auth; reconnect" });
  await reconnect.result;
  const blocklist = await hold(gw, support, "smartlead_add_lead_to_global_blocklist", { email: "ceo@bigcustomer.example" });
  await decide(gw, blocklist.approval.id, "deny", { token: bob, reason: "This is our largest customer; ask account management first" });
  await blocklist.result;

  await hold(gw, support, "smartlead_reply_to_lead_from_master_inbox", { campaign_id: 1001, lead_id: 3001, subject: "Re: quick question", message: "Thanks Dana! Tuesday 10:00 works. Calendar invite on its way." });
  const stop = await hold(gw, growth, "smartlead_update_campaign_status", { campaign_id: 1002, status: "STOPPED" });
  await decide(gw, stop.approval.id, "approve", { token: ADMIN_TOKEN, reason: "Q2 budget is spent" });
  return { alice };
}

async function shoot(page: Page, url: string, file: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.goto(url);
  await page.waitForLoadState("networkidle").catch(() => {});
  await page.screenshot({ path: join(OUT, file), fullPage: options.fullPage ?? false });
  process.stdout.write(`  docs/screenshots/${file}\n`);
}

/** The policy page for one agent, then the editor after a preview: the diff and the decisions the edit changes. */
async function shootPolicyPages(page: Page, baseUrl: string): Promise<void> {
  await shoot(page, `${baseUrl}/policies/smartlead?grant=growth-agent&tool=campaign`, "policies.png");
  await page.goto(`${baseUrl}/policies/smartlead/edit`);
  const editor = page.getByLabel("Policy (JSON)");
  const text = await editor.inputValue();
  const held = `"smartlead_get_*": {},\n    "smartlead_get_campaign": { "action": "require_approval", "approval": { "timeout": "15m" } },`;
  await editor.fill(text.replace(`"smartlead_get_*": {},`, held));
  await page.getByLabel("Comment (optional)").fill("read campaigns only with a person's OK");
  await page.getByRole("button", { name: "Preview diff and dry run" }).click();
  await page.locator("[data-dry-run]").waitFor();
  // Selects the added line in the editor; clicking it scrolled the page, so back to the top.
  await page.locator("pre.diff a.diff-add").first().click();
  await page.mouse.wheel(0, -5000);
  await page.waitForFunction(() => (globalThis as unknown as { scrollY: number }).scrollY === 0);
  await page.screenshot({ path: join(OUT, "policy-edit.png") });
  process.stdout.write("  docs/screenshots/policy-edit.png\n");
}

async function main(): Promise<void> {
  const gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: await demoPolicy() }, extraConfig: { approvals: FAST_APPROVALS } });
  const browser = await launchBrowser();
  try {
    const { alice } = await seed(gw);
    const visitor = await browser.newPage();
    await shoot(visitor, `${gw.url}/sign-in`, "sign-in.png");
    await visitor.close();

    const reviewer = await browser.newPage();
    await signInWithToken(reviewer, gw.url, alice);
    await reviewer.locator("[data-live-status][data-state=live]").waitFor();
    await shoot(reviewer, `${gw.url}/`, "pending.png");
    await shoot(reviewer, `${gw.url}/audit`, "audit.png");
    // The auditor's minute: filter by tool and by anyone who voted, then open the call.
    await shoot(reviewer, `${gw.url}/audit?tool=smartlead_reconnect_*&reviewer=alice`, "audit-reviewer.png");
    await reviewer.getByRole("link", { name: "smartlead_reconnect_failed_email_accounts" }).first().click();
    await reviewer.waitForURL(/\/audit\/calls\//);
    await shoot(reviewer, reviewer.url(), "call.png", { fullPage: true });
    // A row edited with SQL, as someone with database access would: the page says TAMPERED and what differs.
    const denied = await listToolCalls(gw.instance.database, { tool: "smartlead_delete_campaign", limit: 1 });
    await gw.instance.database.pool.query("UPDATE tool_calls SET status = 'succeeded' WHERE id = $1", [denied.rows[0]!.id]);
    await shoot(reviewer, `${gw.url}/audit/calls/${denied.rows[0]!.id}`, "call-tampered.png");
    await reviewer.close();

    await browser.context.clearCookies();
    const admin = await browser.newPage();
    await signInWithToken(admin, gw.url, ADMIN_TOKEN);
    await admin.goto(`${gw.url}/grants`);
    await admin.getByLabel("Name").fill("research-agent");
    await admin.getByLabel("Labels (optional)").fill("team=research");
    await admin.getByRole("button", { name: "Create grant" }).click();
    await admin.locator("[data-token-panel]").waitFor();
    await admin.screenshot({ path: join(OUT, "grants.png") });
    process.stdout.write("  docs/screenshots/grants.png\n");
    await shoot(admin, `${gw.url}/reviewers`, "reviewers.png");
    await shootPolicyPages(admin, gw.url);
  } finally {
    await browser.close();
    await gw.close();
  }
}

process.stdout.write("Capturing dashboard screenshots:\n");
await main();

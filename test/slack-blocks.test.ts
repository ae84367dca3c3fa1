import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { types as SlackTypes } from "@slack/bolt";
import type { Approval, ApprovalStatus } from "../src/approvals/types.ts";
import { SECTION_TEXT_LIMIT } from "../src/slack/blocks.ts";
import { formatDuration } from "../src/slack/mrkdwn.ts";
import { approvalMessage, denyReasonModal, pendingMessage, resolvedMessage, type SlackMessage } from "../src/slack/index.ts";
import { approvalFixture } from "./helpers/slack-api.ts";

const NOW = new Date("2025-06-01T12:00:30Z");

/** Everything a reader could see: block texts, fields, context and button labels, and the fallback. */
function visibleText(message: SlackMessage): string {
  return JSON.stringify(message);
}

function buttons(message: SlackMessage) {
  return message.blocks.flatMap((block) => (block.type === "actions" ? block.elements : []));
}

function sectionTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) => {
    if (block.type !== "section") return [];
    return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];
  });
}

function assertWithinSlackLimits(message: SlackMessage): void {
  for (const block of message.blocks) {
    if (block.type === "header") assert.ok(block.text.text.length <= 150, "header too long");
    if (block.type === "section") {
      if (block.text) assert.ok(block.text.text.length <= SECTION_TEXT_LIMIT, `section text is ${block.text.text.length} chars`);
      assert.ok((block.fields ?? []).length <= 10);
      for (const field of block.fields ?? []) assert.ok(field.text.length <= 2000);
    }
  }
  assert.ok(message.blocks.length <= 50);
}

describe("pendingMessage", () => {
  it("shows tool, upstream, agent, session, rule, time left, arguments and votes, with the three buttons", () => {
    const approval = approvalFixture({ argsRedacted: { campaign_id: 42, accounts: ["a@example.com"] } });
    const message = pendingMessage(approval, NOW);
    const text = visibleText(message);
    const header = message.blocks[0];
    assert.equal(header?.type, "header");
    assert.match(JSON.stringify(header), /Approval needed: smartlead_reconnect_failed_email_accounts/);
    for (const expected of ["*Upstream*\\nsmartlead", "*Agent*\\noutreach-agent", "`sess-1234`", "`/tools/smartlead_reconnect_failed_email_accounts`", "14 min", "Approvals: 0 of 1 needed"]) {
      assert.ok(text.includes(expected), `missing ${expected}`);
    }
    const args = sectionTexts(message).find((t) => t.startsWith("*Arguments*"));
    assert.equal(args, '*Arguments*\n```\n{\n  "campaign_id": 42,\n  "accounts": [\n    "a@example.com"\n  ]\n}\n```');

    const [approve, deny, denyWithReason] = buttons(message);
    assert.deepEqual(
      buttons(message).map((b) => b.type === "button" && [b.action_id, b.style ?? null, b.value, b.text.text]),
      [
        ["gatehouse_approve", "primary", approval.id, "Approve"],
        ["gatehouse_deny", "danger", approval.id, "Deny"],
        ["gatehouse_deny_reason", null, approval.id, "Deny with reason…"],
      ],
    );
    assert.ok(approve && deny && denyWithReason);
    assert.equal(message.text, "Approval needed: smartlead_reconnect_failed_email_accounts on smartlead for agent outreach-agent");
    assertWithinSlackLimits(message);
  });

  it("counts approvals against min_approvals and names who voted", () => {
    const approval = approvalFixture({
      spec: { ...approvalFixture().spec, minApprovals: 2 },
      votes: [{ voter: "slack:U0ALICE", vote: "approve", reason: null, createdAt: NOW }],
    });
    assert.match(visibleText(pendingMessage(approval, NOW)), /Approvals: 1 of 2 needed · <@U0ALICE> approved/);
  });

  it("says the deadline has passed when the approval is overdue but still pending", () => {
    const approval = approvalFixture();
    assert.match(visibleText(pendingMessage(approval, new Date(approval.expiresAt.getTime() + 5_000))), /expiring now/);
  });

  it("shows the owner of the agent's grant, so reviewers see self-approval coming", () => {
    assert.match(visibleText(pendingMessage(approvalFixture({ grantOwner: "U0OWNER" }), NOW)), /outreach-agent \(owner <@U0OWNER>\)/);
  });

  it("escapes Slack control characters so names cannot ping the channel", () => {
    const message = pendingMessage(approvalFixture({ grantName: "<!channel> agent", argsRedacted: { note: "<@U0BOSS> & <!here>" } }), NOW);
    const text = visibleText(message);
    assert.ok(!text.includes("<!channel>") && !text.includes("<!here>") && !text.includes("<@U0BOSS>"));
    assert.match(text, /&lt;!channel&gt; agent/);
    assert.match(text, /&lt;@U0BOSS&gt; &amp; &lt;!here&gt;/);
  });
});

describe("arguments: truncation and redaction", () => {
  it("truncates long arguments to Slack's section limit and says how much is missing", () => {
    const approval = approvalFixture({ argsRedacted: { body: "lorem ipsum dolor sit amet ".repeat(400) } });
    const full = JSON.stringify(approval.argsRedacted, null, 2);
    const args = sectionTexts(pendingMessage(approval, NOW)).find((t) => t.startsWith("*Arguments*"))!;
    assert.ok(args.length <= SECTION_TEXT_LIMIT, `${args.length} characters`);
    const omitted = Number(/… \(truncated, (\d+) more characters\)/.exec(args)?.[1]);
    const shown = /```\n([\s\S]*)\n```/.exec(args)?.[1] ?? "";
    assert.ok(omitted > 0);
    assert.equal(shown.length + omitted, full.length);
    assert.ok(full.startsWith(shown));
  });

  it("never cuts an escaped character in half", () => {
    const approval = approvalFixture({ argsRedacted: { html: "<b>&</b>".repeat(2_000) } });
    const args = sectionTexts(pendingMessage(approval, NOW)).find((t) => t.startsWith("*Arguments*"))!;
    assert.ok(args.length <= SECTION_TEXT_LIMIT);
    const shown = /```\n([\s\S]*)\n```/.exec(args)?.[1] ?? "";
    assert.doesNotMatch(shown.replace(/&(amp|lt|gt);/g, ""), /[&<>]/);
  });

  it("keeps a code block closed when the arguments contain backticks", () => {
    const args = sectionTexts(pendingMessage(approvalFixture({ argsRedacted: { sql: "```DROP TABLE x```" } }), NOW)).find((t) => t.startsWith("*Arguments*"))!;
    assert.equal(args.match(/```/g)?.length, 2);
  });

  it("redacts secrets again, even when the caller passed unredacted arguments", () => {
    const secrets = ["xoxb-1234567890-abcdefghijklmnop", "hunter2-correct-horse", "sk-live0123456789abcdefghijk", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"];
    const approval = approvalFixture({
      argsRedacted: {
        slack_token: secrets[0],
        smtp: { host: "mail.example.com", password: secrets[1] },
        note: `use Bearer ${secrets[2]} please`,
        headers: [`Authorization: token ${secrets[3]}`],
      },
    });
    for (const status of ["pending", "failed", "denied"] as ApprovalStatus[]) {
      const message = approvalMessage(
        {
          ...approval,
          status,
          decidedBy: "slack:U0BOB",
          decidedAt: NOW,
          decisionReason: `leaked ${secrets[0]}`,
          error: `upstream said: invalid key ${secrets[2]}`,
        },
        NOW,
      );
      const text = visibleText(message);
      for (const secret of secrets) assert.ok(!text.includes(secret), `${status}: ${secret} visible`);
      assert.match(text, /\[REDACTED\]/);
      assert.match(text, /mail\.example\.com/);
    }
  });
});

describe("resolvedMessage", () => {
  const decided = { decidedBy: "slack:U0ALICE", decidedAt: new Date("2025-06-01T12:03:00Z") };
  const cases: Array<{ status: ApprovalStatus; overrides: Partial<Approval>; expect: RegExp[] }> = [
    { status: "approved", overrides: decided, expect: [/Approved\* by <@U0ALICE> at <!date\^\d+\^[^|]+\|2025-06-01 12:03:00 UTC>/] },
    { status: "denied", overrides: { ...decided, decidedBy: "slack:U0BOB", decisionReason: "Not during the launch week" }, expect: [/Denied\* by <@U0BOB>/, />Not during the launch week/] },
    { status: "expired", overrides: { decidedBy: "timeout", decidedAt: new Date("2025-06-01T12:15:01Z") }, expect: [/Expired\* at <!date[^|]+\|2025-06-01 12:15:00 UTC>, nobody decided/] },
    { status: "cancelled", overrides: { decidedBy: "client", decidedAt: decided.decidedAt, decisionReason: "client disconnected" }, expect: [/Cancelled\* by the agent's client at/, /client disconnected/] },
    { status: "executing", overrides: { ...decided, executedAt: new Date("2025-06-01T12:03:01Z") }, expect: [/Approved\* by <@U0ALICE>/, /Running\* since/] },
    { status: "succeeded", overrides: { ...decided, durationMs: 1234 }, expect: [/Approved\* by <@U0ALICE>/, /Succeeded\* in 1234 ms/] },
    { status: "failed", overrides: { ...decided, durationMs: 87, error: "SMTP login refused for 3 accounts" }, expect: [/Failed\* after 87 ms/, /SMTP login refused for 3 accounts/] },
    { status: "outcome_unknown", overrides: decided, expect: [/Outcome unknown\*/, /not retried/] },
  ];

  for (const { status, overrides, expect } of cases) {
    it(`${status}: no buttons, who decided and what happened`, () => {
      const message = resolvedMessage(approvalFixture({ status, ...overrides }), NOW);
      assert.equal(buttons(message).length, 0);
      assert.ok(!message.blocks.some((b) => b.type === "actions"));
      const text = visibleText(message);
      for (const pattern of expect) assert.match(text, pattern);
      assert.match(text, /smartlead_reconnect_failed_email_accounts/);
      assert.ok(message.text.length > 0 && !message.text.includes("campaign_id"));
      assertWithinSlackLimits(message);
    });
  }

  it("shows only the first 500 characters of a failure", () => {
    const error = `E${"x".repeat(2_000)}`;
    const text = visibleText(resolvedMessage(approvalFixture({ status: "failed", durationMs: 5, error }), NOW));
    assert.ok(text.includes(`E${"x".repeat(499)}…`));
    assert.ok(!text.includes("x".repeat(500)));
  });

  it("renders person ids in the vote list: Slack users as mentions, reviewers by name, the admin as admin", () => {
    const message = resolvedMessage(
      approvalFixture({
        status: "approved",
        ...decided,
        decisionReason: "2 approvals",
        spec: { ...approvalFixture().spec, minApprovals: 2 },
        votes: [
          { voter: "slack:U0ALICE", vote: "approve", reason: null, createdAt: NOW },
          { voter: "reviewer:ops", vote: "approve", reason: null, createdAt: NOW },
          { voter: "admin", vote: "approve", reason: null, createdAt: NOW },
        ],
      }),
      NOW,
    );
    assert.match(visibleText(message), /Approvals: 3 of 2 needed · <@U0ALICE> approved, ops approved, admin approved/);
    assert.match(visibleText(resolvedMessage(approvalFixture({ status: "denied", decidedBy: "reviewer:carol", decidedAt: NOW }), NOW)), /Denied\* by carol at/);
    assert.match(visibleText(resolvedMessage(approvalFixture({ status: "approved", decidedBy: "admin", decidedAt: NOW }), NOW)), /Approved\* by admin at/);
  });

  it("falls back to the pending message for a pending approval", () => {
    assert.deepEqual(resolvedMessage(approvalFixture(), NOW), pendingMessage(approvalFixture(), NOW));
  });
});

describe("denyReasonModal", () => {
  it("is a modal with one multiline input that carries the approval id and the message the button was on", () => {
    const view = denyReasonModal("6f1c1c1e-3b7a-4d8e-9a55-0c2b8f1e2d3a", { channel: "C0APPROVALS", ts: "1700000000.000042" });
    assert.equal(view.type, "modal");
    assert.equal(view.callback_id, "gatehouse_deny_reason_modal");
    assert.deepEqual(JSON.parse(view.private_metadata ?? ""), { approvalId: "6f1c1c1e-3b7a-4d8e-9a55-0c2b8f1e2d3a", channel: "C0APPROVALS", ts: "1700000000.000042" });
    assert.ok(view.title.text.length <= 24 && (view.submit?.text.length ?? 0) <= 24);
    assert.equal(view.blocks.length, 1);
    const input = view.blocks[0] as SlackTypes.InputBlock;
    assert.equal(input.type, "input");
    assert.equal(input.element.type, "plain_text_input");
    assert.equal(input.block_id, "reason");
    const element = input.element as SlackTypes.PlainTextInput;
    assert.equal(element.action_id, "reason_input");
    assert.equal(element.multiline, true);
  });
});

describe("formatDuration", () => {
  const table: Array<[number, string]> = [
    [0, "0 s"],
    [-5_000, "0 s"],
    [45_000, "45 s"],
    [90_000, "1 min 30 s"],
    [600_000, "10 min"],
    [14 * 60_000 + 30_000, "14 min"],
    [3_600_000, "1 h"],
    [3_900_000, "1 h 5 min"],
  ];
  for (const [ms, expected] of table) it(`${ms} ms → ${expected}`, () => assert.equal(formatDuration(ms), expected));
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CallFacts, CompiledPolicy, Decision } from "../src/policy/index.ts";
import { denyWithoutPolicy, evaluate, formatPolicyIssue, parsePolicy } from "../src/policy/index.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const PROD: CallFacts["grant"] = { name: "agent-prod", owner: "U0OWNER01", labels: { env: "prod" } };
const DEV: CallFacts["grant"] = { name: "agent-dev", labels: { env: "dev" } };

function compile(document: Record<string, unknown>): CompiledPolicy {
  const result = parsePolicy(JSON.stringify(document), "policies/test.json");
  if (!result.ok) throw new Error(result.errors.map(formatPolicyIssue).join("\n"));
  return result.policy;
}

function decide(policy: CompiledPolicy, tool: string, args: Record<string, unknown> = {}, grant = PROD): Decision {
  return evaluate(policy, { tool, args, grant, session: { id: "session-1" } }, NOW);
}

function summary(decision: Decision): { kind: string; rule: string | null; reason: string } {
  return { kind: decision.kind, rule: decision.rule, reason: decision.reason };
}

describe("PolicyLayer compatibility", () => {
  const text =
    '{"version":"1","default":"deny","tools":{"smartlead_reconnect_failed_email_accounts":{"limits":[{"counter":"smartlead_reconnect_failed_email_accounts_rate","window":"minute","max":10,"scope":"grant"}]}}}';

  it("loads their document unchanged: the listed tool is allowed with 10/minute per grant, the rest denied", () => {
    const result = parsePolicy(text, "policies/smartlead.json");
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(decide(result.policy, "smartlead_reconnect_failed_email_accounts"), {
      kind: "allow",
      rule: "/tools/smartlead_reconnect_failed_email_accounts",
      reason: "smartlead_reconnect_failed_email_accounts is allowed by /tools/smartlead_reconnect_failed_email_accounts",
      limits: [
        {
          counter: "smartlead_reconnect_failed_email_accounts_rate",
          window: "minute",
          windowMs: 60_000,
          max: 10,
          scope: "grant",
          rule: "/tools/smartlead_reconnect_failed_email_accounts/limits/0",
        },
      ],
    });
    assert.deepEqual(summary(decide(result.policy, "smartlead_get_campaigns")), {
      kind: "deny",
      rule: "/default",
      reason: "smartlead_get_campaigns is not listed in the policy and the default is deny",
    });
  });

  it("accepts their documented shape with empty lists, which deny nothing", () => {
    const policy = compile({
      version: "1",
      default: "deny",
      hide: ["delete_account"],
      all_tools: { limits: [] },
      tools: { create_charge: { require: [], deny_if: [], limits: [] } },
    });
    assert.deepEqual(summary(decide(policy, "create_charge")), {
      kind: "allow",
      rule: "/tools/create_charge",
      reason: "create_charge is allowed by /tools/create_charge",
    });
    assert.equal(decide(policy, "delete_account").kind, "hide");
  });
});

describe("limits", () => {
  const policy = compile({
    version: "1",
    default: "allow",
    all_tools: { limits: [{ counter: "all", window: "minute", max: 600 }] },
    tools: {
      send: {
        action: "require_approval",
        limits: [
          { counter: "send_rate", window: "second", max: 2, scope: "session" },
          { counter: "send_daily", window: "day", max: 100, scope: "global" },
        ],
      },
      blocked: { action: "deny", limits: [{ counter: "x", window: "hour", max: 1 }] },
    },
  });

  it("merges all_tools limits then tool limits, with pointers and the grant scope by default", () => {
    const decision = decide(policy, "send");
    assert.equal(decision.kind, "require_approval");
    assert.deepEqual(decision.kind === "require_approval" ? decision.limits : null, [
      { counter: "all", window: "minute", windowMs: 60_000, max: 600, scope: "grant", rule: "/all_tools/limits/0" },
      { counter: "send_rate", window: "second", windowMs: 1_000, max: 2, scope: "session", rule: "/tools/send/limits/0" },
      { counter: "send_daily", window: "day", windowMs: 86_400_000, max: 100, scope: "global", rule: "/tools/send/limits/1" },
    ]);
  });

  it("gives tools ruled by the default only the all_tools limits", () => {
    const decision = decide(policy, "unlisted");
    assert.equal(decision.kind, "allow");
    assert.deepEqual(decision.kind === "allow" ? decision.limits.map((limit) => limit.rule) : null, ["/all_tools/limits/0"]);
  });

  it("carries no limits on a deny", () => {
    assert.equal("limits" in decide(policy, "blocked"), false);
  });
});

describe("approval", () => {
  it("fills every default when the approval block is missing", () => {
    const policy = compile({ version: "1", tools: { reconnect: { action: "require_approval" } } });
    assert.deepEqual(decide(policy, "reconnect"), {
      kind: "require_approval",
      rule: "/tools/reconnect",
      reason: "reconnect requires approval",
      limits: [],
      approval: {
        channel: null,
        approvers: [],
        minApprovals: 1,
        timeout: "15m",
        timeoutMs: 900_000,
        expiresAt: new Date("2025-03-01T12:15:00.000Z"),
        onTimeout: "deny",
        allowSelfApproval: false,
        wait: "hold",
        rule: null,
      },
    });
  });

  const timeouts: Array<[timeout: string, ms: number]> = [
    ["30s", 30_000],
    ["15m", 900_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
  ];
  for (const [timeout, ms] of timeouts) {
    it(`uses the block's values (timeout ${timeout})`, () => {
      const approval = {
        channel: "C0APPROVALS",
        approvers: ["U012AB3CD", "W0ENTERPRISE", "S0OPS"],
        min_approvals: 2,
        timeout,
        on_timeout: "deny",
        allow_self_approval: true,
        wait: "ticket",
      };
      const policy = compile({ version: "1", tools: { reconnect: { action: "require_approval", approval } } });
      const decision = decide(policy, "reconnect");
      assert.equal(decision.kind, "require_approval");
      if (decision.kind !== "require_approval") return;
      assert.deepEqual(decision.approval, {
        channel: "C0APPROVALS",
        approvers: ["U012AB3CD", "W0ENTERPRISE", "S0OPS"],
        minApprovals: 2,
        timeout,
        timeoutMs: ms,
        expiresAt: new Date(NOW.getTime() + ms),
        onTimeout: "deny",
        allowSelfApproval: true,
        wait: "ticket",
        rule: "/tools/reconnect/approval",
      });
    });
  }

  it("approval_if sends an allowed tool to review and names the condition", () => {
    const policy = compile({
      version: "1",
      tools: {
        update_status: {
          deny_if: [{ path: "args.status", op: "eq", value: "START", message: "agents may not launch campaigns" }],
          approval_if: [{ path: "args.campaign_id", op: "exists" }],
          approval: { channel: "C0APPROVALS" },
        },
      },
    });
    assert.deepEqual(summary(decide(policy, "update_status", { status: "START", campaign_id: 7 })), {
      kind: "deny",
      rule: "/tools/update_status/deny_if/0",
      reason: "agents may not launch campaigns",
    });
    const held = decide(policy, "update_status", { status: "PAUSED", campaign_id: 7 });
    assert.deepEqual(summary(held), {
      kind: "require_approval",
      rule: "/tools/update_status/approval_if/0",
      reason: "update_status needs approval when args.campaign_id is set",
    });
    assert.equal(held.kind === "require_approval" && held.approval.channel, "C0APPROVALS");
    assert.equal(decide(policy, "update_status", { status: "PAUSED" }).kind, "allow");
  });

  it("all_tools approval_if applies to every tool", () => {
    const policy = compile({
      version: "1",
      default: "allow",
      all_tools: { approval_if: [{ path: "grant.labels.env", op: "eq", value: "dev", message: "dev agents need a human" }] },
    });
    assert.deepEqual(summary(decide(policy, "x", {}, DEV)), {
      kind: "require_approval",
      rule: "/all_tools/approval_if/0",
      reason: "dev agents need a human",
    });
    assert.equal(decide(policy, "x", {}, PROD).kind, "allow");
  });
});

describe("deny reasons and rule pointers", () => {
  const policy = compile({
    version: "1",
    all_tools: { require: [{ path: "grant.labels.env", op: "in", value: ["prod", "staging"] }] },
    tools: {
      reason: { action: "deny", reason: "Deleting campaigns is done by people." },
      on_deny: { action: "deny", on_deny: "PolicyLayer-style text" },
      bare: { action: "deny" },
      deny_first: { action: "deny", reason: "never", require: [{ path: "args.ticket", op: "exists" }] },
      needs_status: { require: [{ path: "args.status", op: "eq", value: "PAUSED" }] },
      needs_status_with_text: { reason: "only paused campaigns", require: [{ path: "args.status", op: "eq", value: "PAUSED" }] },
      two_denials: {
        deny_if: [
          { path: "args.status", op: "eq", value: "START" },
          { path: "args.count", op: "gt", value: 100 },
        ],
      },
    },
  });
  const rows: Array<[tool: string, args: Record<string, unknown>, grant: CallFacts["grant"], expected: ReturnType<typeof summary>]> = [
    ["reason", {}, PROD, { kind: "deny", rule: "/tools/reason", reason: "Deleting campaigns is done by people." }],
    ["on_deny", {}, PROD, { kind: "deny", rule: "/tools/on_deny", reason: "PolicyLayer-style text" }],
    ["bare", {}, PROD, { kind: "deny", rule: "/tools/bare", reason: "bare is denied by policy" }],
    ["bare", {}, DEV, { kind: "deny", rule: "/tools/bare", reason: "bare is denied by policy" }],
    ["deny_first", {}, DEV, { kind: "deny", rule: "/tools/deny_first", reason: "never" }],
    ["needs_status", { status: "PAUSED" }, DEV, { kind: "deny", rule: "/all_tools/require/0", reason: 'grant.labels.env must be one of ["prod","staging"]' }],
    ["needs_status", { status: "ACTIVE" }, PROD, { kind: "deny", rule: "/tools/needs_status/require/0", reason: 'args.status must equal "PAUSED"' }],
    ["needs_status", { status: "PAUSED" }, PROD, { kind: "allow", rule: "/tools/needs_status", reason: "needs_status is allowed by /tools/needs_status" }],
    ["needs_status_with_text", {}, PROD, { kind: "deny", rule: "/tools/needs_status_with_text/require/0", reason: "only paused campaigns" }],
    ["two_denials", { status: "START", count: 101 }, PROD, { kind: "deny", rule: "/tools/two_denials/deny_if", reason: 'two_denials is denied when args.status equals "START" and args.count is greater than 100' }],
    ["two_denials", { status: "START", count: 5 }, PROD, { kind: "allow", rule: "/tools/two_denials", reason: "two_denials is allowed by /tools/two_denials" }],
  ];
  for (const [tool, args, grant, expected] of rows) {
    it(`${tool} ${JSON.stringify(args)} as ${grant.name}`, () => {
      assert.deepEqual(summary(decide(policy, tool, args, grant)), expected);
    });
  }

  it("denies with a null rule when no policy is loaded", () => {
    assert.deepEqual(denyWithoutPolicy("x"), { kind: "deny", rule: null, reason: "No valid policy is loaded, so x is denied" });
  });
});

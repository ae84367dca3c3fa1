import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CallFacts, CompiledPolicy, Decision } from "../src/policy/index.ts";
import { evaluate, formatPolicyIssue, isListed, parsePolicy } from "../src/policy/index.ts";

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

describe("the DESIGN §4 example policy", () => {
  const policy = compile({
    $schema: "../schemas/policy.schema.json",
    version: "1",
    default: "deny",
    hide: ["smartlead_delete_*"],
    all_tools: { limits: [{ counter: "all", window: "minute", max: 600, scope: "grant" }] },
    tools: {
      "smartlead_get_*": {},
      smartlead_reconnect_failed_email_accounts: {
        action: "require_approval",
        limits: [{ counter: "reconnect_rate", window: "minute", max: 10, scope: "grant" }],
        approval: { channel: "C0APPROVALS", approvers: ["U012AB3CD", "S0OPS"], min_approvals: 1, timeout: "15m", on_timeout: "deny" },
      },
      smartlead_update_campaign_status: {
        deny_if: [{ path: "args.status", op: "eq", value: "START", message: "agents may not launch campaigns" }],
        approval_if: [{ path: "args.campaign_id", op: "exists" }],
      },
      smartlead_delete_campaign: { action: "deny", reason: "Deleting campaigns is done by people." },
    },
  });
  const rows: Array<[tool: string, args: Record<string, unknown>, kind: Decision["kind"], rule: string]> = [
    ["smartlead_get_campaigns", {}, "allow", "/tools/smartlead_get_*"],
    ["smartlead_reconnect_failed_email_accounts", {}, "require_approval", "/tools/smartlead_reconnect_failed_email_accounts"],
    ["smartlead_update_campaign_status", { campaign_id: 1, status: "START" }, "deny", "/tools/smartlead_update_campaign_status/deny_if/0"],
    ["smartlead_update_campaign_status", { campaign_id: 1, status: "PAUSED" }, "require_approval", "/tools/smartlead_update_campaign_status/approval_if/0"],
    ["smartlead_update_campaign_status", { status: "PAUSED" }, "allow", "/tools/smartlead_update_campaign_status"],
    ["smartlead_delete_campaign", {}, "hide", "/hide/0"],
    ["smartlead_create_campaign", {}, "deny", "/default"],
  ];
  for (const [tool, args, kind, rule] of rows) {
    it(`${tool} ${JSON.stringify(args)} → ${kind} by ${rule}`, () => {
      const decision = decide(policy, tool, args);
      assert.equal(decision.kind, kind);
      assert.equal(decision.rule, rule);
    });
  }
});

describe("isListed", () => {
  const policy = compile({
    version: "1",
    default: "deny",
    hide: ["secret_*"],
    tools: {
      read: {},
      blocked: { action: "deny" },
      conditional: { deny_if: [{ path: "args.x", op: "exists" }] },
      prod_only: { require: [{ path: "grant.labels.env", op: "eq", value: "prod" }] },
      not_for_dev: { deny_if: [{ path: "grant.name", op: "eq", value: "agent-dev" }] },
      "secret_*": {},
    },
  });
  const rows: Array<[tool: string, grant: CallFacts["grant"], listed: boolean]> = [
    ["read", PROD, true],
    ["blocked", PROD, false],
    ["unlisted", PROD, false],
    ["conditional", PROD, true],
    ["secret_keys", PROD, false],
    ["prod_only", PROD, true],
    ["prod_only", DEV, false],
    ["not_for_dev", PROD, true],
    ["not_for_dev", DEV, false],
  ];
  for (const [tool, grant, listed] of rows) {
    it(`${tool} for ${grant.name} → ${listed}`, () => assert.equal(isListed(policy, tool, grant), listed));
  }

  it("lists unlisted tools when the default allows them", () => {
    const open = compile({ version: "1", default: "require_approval" });
    assert.equal(isListed(open, "anything", PROD), true);
  });
});

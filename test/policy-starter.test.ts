import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { CompiledPolicy } from "../src/policy/index.ts";
import {
  checkToolCoverage,
  createStarterPolicy,
  evaluate,
  explainDecision,
  formatDecisionText,
  formatPolicyIssue,
  parsePolicy,
  renderPolicyJsonSchema,
} from "../src/policy/index.ts";
import { POLICY_SCHEMA_FILE } from "../scripts/write-policy-schema.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");

function compile(document: unknown): CompiledPolicy {
  const result = parsePolicy(JSON.stringify(document), "policies/test.json");
  if (!result.ok) throw new Error(result.errors.map(formatPolicyIssue).join("\n"));
  return result.policy;
}

function decide(policy: CompiledPolicy, tool: string) {
  return evaluate(policy, { tool, args: {}, grant: { name: "g" }, session: { id: "s" } }, NOW);
}

const UPSTREAM_TOOLS = [
  { name: "smartlead_get_campaigns", annotations: { readOnlyHint: true } },
  { name: "smartlead_delete_campaign", annotations: { destructiveHint: true } },
  { name: "smartlead_update_campaign", annotations: { readOnlyHint: false } },
  { name: "smartlead_odd_hints", annotations: { readOnlyHint: true, destructiveHint: true } },
  { name: "smartlead_send" },
];

describe("createStarterPolicy", () => {
  const rows: Array<[defaultAction: "allow" | "deny" | "require_approval", unannotated: Record<string, string>]> = [
    ["allow", {}],
    ["deny", { action: "deny" }],
    ["require_approval", { action: "require_approval" }],
  ];
  for (const [defaultAction, unannotated] of rows) {
    it(`reads the MCP hints, default ${defaultAction}`, () => {
      const starter = createStarterPolicy(UPSTREAM_TOOLS, defaultAction);
      assert.deepEqual(starter, {
        $schema: "../schemas/policy.schema.json",
        version: "1",
        default: defaultAction,
        hide: [],
        tools: {
          smartlead_delete_campaign: { action: "require_approval" },
          smartlead_get_campaigns: {},
          smartlead_odd_hints: {},
          smartlead_send: unannotated,
          smartlead_update_campaign: unannotated,
        },
      });
      const policy = compile(starter);
      assert.equal(decide(policy, "smartlead_get_campaigns").kind, "allow");
      assert.equal(decide(policy, "smartlead_delete_campaign").kind, "require_approval");
      assert.equal(decide(policy, "smartlead_send").kind, defaultAction);
      assert.deepEqual(checkToolCoverage(policy, UPSTREAM_TOOLS.map((tool) => tool.name)), []);
    });
  }
});

describe("checkToolCoverage", () => {
  it("warns about tool keys and hide patterns that match no upstream tool", () => {
    const policy = compile({
      version: "1",
      hide: ["smartlead_delete_*", "smartleed_*"],
      tools: { "smartlead_get_*": {}, smartlead_get_campain: {}, "other_*": { action: "deny" } },
    });
    assert.deepEqual(checkToolCoverage(policy, UPSTREAM_TOOLS.map((tool) => tool.name)), [
      '/tools/smartlead_get_campain: "smartlead_get_campain" matches no tool of the upstream',
      '/tools/other_*: "other_*" matches no tool of the upstream',
      '/hide/1: "smartleed_*" hides no tool of the upstream',
    ]);
  });
});

describe("explain", () => {
  const policy = compile({
    version: "1",
    hide: ["secret"],
    all_tools: { limits: [{ counter: "all", window: "minute", max: 600 }] },
    tools: {
      reconnect: {
        action: "require_approval",
        limits: [{ counter: "reconnect_rate", window: "minute", max: 10 }],
        approval: { channel: "C0APPROVALS", approvers: ["U012AB3CD", "S0OPS"], timeout: "15m" },
      },
      delete: { action: "deny", reason: "Deleting campaigns is done by people." },
    },
  });

  it("gives the JSON shape of `gatehouse policy explain`", () => {
    assert.deepEqual(explainDecision(decide(policy, "delete")), {
      decision: "deny",
      rule: "/tools/delete",
      reason: "Deleting campaigns is done by people.",
    });
    assert.deepEqual(explainDecision(decide(policy, "secret")), { decision: "hide", rule: "/hide/0", reason: "secret is hidden by policy" });
  });

  it("formats a decision for people", () => {
    assert.equal(
      formatDecisionText(decide(policy, "reconnect")),
      [
        "decision: require_approval",
        "rule:     /tools/reconnect",
        "reason:   reconnect requires approval",
        'limits:   600 per minute per grant (counter "all", /all_tools/limits/0)',
        '          10 per minute per grant (counter "reconnect_rate", /tools/reconnect/limits/0)',
        "approval: channel C0APPROVALS, approvers U012AB3CD, S0OPS, 1 approval(s) needed, timeout 15m then deny, " +
          "no self-approval, wait hold (/tools/reconnect/approval)",
      ].join("\n"),
    );
    assert.equal(
      formatDecisionText(decide(policy, "unlisted")),
      "decision: deny\nrule:     /default\nreason:   unlisted is not listed in the policy and the default is deny",
    );
  });
});

describe("JSON Schema", () => {
  it("the committed schemas/policy.schema.json matches the zod schema (run npm run schema:policy)", () => {
    assert.equal(readFileSync(POLICY_SCHEMA_FILE, "utf8"), renderPolicyJsonSchema());
  });

  it("describes the fields editors should offer", () => {
    const schema = JSON.parse(renderPolicyJsonSchema()) as { properties: Record<string, unknown>; definitions: Record<string, unknown> };
    assert.deepEqual(Object.keys(schema.properties), ["$schema", "version", "default", "hide", "all_tools", "tools", "resources", "prompts"]);
    assert.ok(schema.definitions["Condition"]);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CallFacts, CompiledPolicy, Decision } from "../src/policy/index.ts";
import { evaluate, formatPolicyIssue, isListed, parsePolicy } from "../src/policy/index.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const PROD: CallFacts["grant"] = { name: "agent-prod", owner: "U0OWNER01", labels: { env: "prod", team: "growth" } };
const DEV: CallFacts["grant"] = { name: "agent-dev", owner: null, labels: { env: "dev" } };

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

describe("condition ops", () => {
  // Each row: the condition is a tool's `require`, so "holds" means the call is allowed.
  const rows: Array<[op: string, value: unknown, actual: unknown, holds: boolean]> = [
    ["eq", "START", "START", true],
    ["eq", "START", "PAUSED", false],
    ["eq", "START", undefined, false],
    ["eq", 5, "5", true],
    ["eq", { a: [1, 2] }, { a: [1, 2] }, true],
    ["eq", null, null, true],
    ["ne", "START", "PAUSED", true],
    ["ne", "START", "START", false],
    ["ne", "START", undefined, true],
    ["gt", 10, 11, true],
    ["gt", 10, 10, false],
    ["gt", 10, "11", true],
    ["gt", 10, "eleven", false],
    ["gt", 10, undefined, false],
    ["gte", 10, 10, true],
    ["gte", 10, 9.5, false],
    ["lt", 10, 9, true],
    ["lt", 10, 10, false],
    ["lte", 10, 10, true],
    ["lte", 10, 11, false],
    ["in", ["a", "b"], "a", true],
    ["in", ["a", "b"], "c", false],
    ["in", [1, 2], "2", true],
    ["in", ["a"], undefined, false],
    ["not_in", ["a", "b"], "c", true],
    ["not_in", ["a", "b"], "b", false],
    ["contains", "lead", "smartlead", true],
    ["contains", "x", "smartlead", false],
    ["contains", "b", ["a", "b"], true],
    ["contains", "z", ["a", "b"], false],
    ["contains", 1, 10, false],
    ["starts_with", "smart", "smartlead", true],
    ["starts_with", "lead", "smartlead", false],
    ["starts_with", "1", 12, false],
    ["ends_with", "@example.com", "ops@example.com", true],
    ["ends_with", "@example.com", "ops@example.com.evil", false],
    ["matches", "^C[0-9]+$", "C123", true],
    ["matches", "^C[0-9]+$", "D123", false],
    ["matches", "^1", 123, false],
    ["exists", undefined, "x", true],
    ["exists", undefined, 0, true],
    ["exists", undefined, undefined, false],
    ["exists", undefined, null, false],
    ["not_exists", undefined, undefined, true],
    ["not_exists", undefined, "x", false],
    ["len_gt", 3, "abcd", true],
    ["len_gt", 3, "abc", false],
    ["len_gt", 1, ["a", "b"], true],
    ["len_gt", 0, 12345, false],
    ["len_lt", 3, "ab", true],
    ["len_lt", 3, "abc", false],
    ["len_lt", 3, undefined, false],
  ];
  for (const [op, value, actual, holds] of rows) {
    it(`${op} ${JSON.stringify(value)} against ${JSON.stringify(actual)} → ${holds}`, () => {
      const condition = value === undefined ? { path: "args.x", op } : { path: "args.x", op, value };
      const policy = compile({ version: "1", tools: { t: { require: [condition] } } });
      const decision = decide(policy, "t", actual === undefined ? {} : { x: actual });
      assert.equal(decision.kind, holds ? "allow" : "deny");
    });
  }
});

describe("condition paths", () => {
  const rows: Array<[path: string, args: Record<string, unknown>, grant: CallFacts["grant"], holds: boolean]> = [
    ["args.campaign.tags.1", { campaign: { tags: ["a", "b"] } }, PROD, true],
    ["args.campaign.tags.2", { campaign: { tags: ["a", "b"] } }, PROD, false],
    ["args.campaign.name", { campaign: "flat" }, PROD, false],
    ["args.constructor", {}, PROD, false],
    ["args.toString", {}, PROD, false],
    ["grant.name", {}, PROD, true],
    ["grant.owner", {}, DEV, false],
    ["grant.labels.env", {}, PROD, true],
    ["grant.labels.region", {}, PROD, false],
    ["session.id", {}, PROD, true],
  ];
  for (const [path, args, grant, holds] of rows) {
    it(`exists ${path} → ${holds}`, () => {
      const policy = compile({ version: "1", tools: { t: { require: [{ path, op: "exists" }] } } });
      assert.equal(decide(policy, "t", args, grant).kind, holds ? "allow" : "deny");
    });
  }

  it("compares grant labels and session ids", () => {
    const policy = compile({
      version: "1",
      tools: {
        t: {
          require: [
            { path: "grant.labels.env", op: "eq", value: "prod" },
            { path: "session.id", op: "starts_with", value: "session-" },
          ],
        },
      },
    });
    assert.equal(decide(policy, "t", {}, PROD).kind, "allow");
    assert.equal(decide(policy, "t", {}, DEV).kind, "deny");
  });
});

describe("combinators", () => {
  const a = { path: "args.a", op: "eq", value: 1 };
  const b = { path: "args.b", op: "eq", value: 1 };
  const rows: Array<[name: string, condition: unknown, args: Record<string, unknown>, holds: boolean]> = [
    ["any, first holds", { any: [a, b] }, { a: 1 }, true],
    ["any, none holds", { any: [a, b] }, { a: 2, b: 2 }, false],
    ["all, both hold", { all: [a, b] }, { a: 1, b: 1 }, true],
    ["all, one fails", { all: [a, b] }, { a: 1, b: 2 }, false],
    ["not, inner fails", { not: a }, { a: 2 }, true],
    ["not, inner holds", { not: a }, { a: 1 }, false],
    ["nested", { any: [{ not: a }, { all: [a, b] }] }, { a: 1, b: 1 }, true],
    ["nested, fails", { any: [{ not: a }, { all: [a, b] }] }, { a: 1, b: 0 }, false],
  ];
  for (const [name, condition, args, holds] of rows) {
    it(name, () => {
      const policy = compile({ version: "1", tools: { t: { require: [condition] } } });
      assert.equal(decide(policy, "t", args).kind, holds ? "allow" : "deny");
    });
  }

  it("ANDs the items of a require list, naming the first that fails", () => {
    const policy = compile({ version: "1", tools: { t: { require: [a, b] } } });
    assert.equal(decide(policy, "t", { a: 1, b: 1 }).kind, "allow");
    assert.deepEqual(summary(decide(policy, "t", { a: 1 })), {
      kind: "deny",
      rule: "/tools/t/require/1",
      reason: "args.b must equal 1",
    });
  });
});

describe("tool rule precedence", () => {
  const policy = compile({
    version: "1",
    default: "deny",
    tools: {
      "*": { action: "require_approval" },
      "smart*": { reason: "smart glob" },
      "smartlead_*": { action: "deny", reason: "generic smartlead rule" },
      "smartlead_get_*": {},
      smartlead_get_campaign: { action: "require_approval" },
      "tool_?": {},
      "a/b~c": { action: "deny" },
    },
  });
  const rows: Array<[tool: string, rule: string, kind: Decision["kind"]]> = [
    ["smartlead_get_campaign", "/tools/smartlead_get_campaign", "require_approval"],
    ["smartlead_get_leads", "/tools/smartlead_get_*", "allow"],
    ["smartlead_delete_campaign", "/tools/smartlead_*", "deny"],
    ["smartxyz", "/tools/smart*", "allow"],
    ["other", "/tools/*", "require_approval"],
    ["tool_a", "/tools/tool_?", "allow"],
    ["tool_ab", "/tools/*", "require_approval"],
    ["a/b~c", "/tools/a~1b~0c", "deny"],
  ];
  for (const [tool, rule, kind] of rows) {
    it(`${tool} → ${rule}`, () => {
      const decision = decide(policy, tool);
      assert.equal(decision.rule, rule);
      assert.equal(decision.kind, kind);
    });
  }
});

describe("hide", () => {
  const policy = compile({
    version: "1",
    default: "allow",
    hide: ["internal_debug", "smartlead_delete_*"],
    tools: { smartlead_delete_campaign: { action: "allow" } },
  });

  it("hides by exact name and glob, before any tool rule", () => {
    assert.deepEqual(summary(decide(policy, "internal_debug")), {
      kind: "hide",
      rule: "/hide/0",
      reason: "internal_debug is hidden by policy",
    });
    assert.equal(decide(policy, "smartlead_delete_campaign").rule, "/hide/1");
    assert.equal(decide(policy, "smartlead_get_campaign").kind, "allow");
  });

  it('"*" hides everything', () => {
    const all = compile({ version: "1", default: "allow", hide: ["*"] });
    assert.equal(decide(all, "anything").kind, "hide");
    assert.equal(isListed(all, "anything", PROD), false);
  });
});

describe("default action", () => {
  const rows: Array<[defaultAction: string | undefined, kind: Decision["kind"], reason: string]> = [
    ["allow", "allow", "unlisted is allowed by the policy default"],
    ["deny", "deny", "unlisted is not listed in the policy and the default is deny"],
    [undefined, "deny", "unlisted is not listed in the policy and the default is deny"],
    ["require_approval", "require_approval", "unlisted is not listed in the policy and the default is require_approval"],
  ];
  for (const [defaultAction, kind, reason] of rows) {
    it(`default ${defaultAction ?? "(omitted)"} → ${kind}`, () => {
      const policy = compile({ version: "1", ...(defaultAction ? { default: defaultAction } : {}), tools: { listed: {} } });
      assert.deepEqual(summary(decide(policy, "unlisted")), { kind, rule: "/default", reason });
      assert.equal(decide(policy, "listed").kind, "allow");
    });
  }

  it("applies all_tools conditions to tools ruled by the default", () => {
    const policy = compile({
      version: "1",
      default: "allow",
      all_tools: { deny_if: [{ path: "grant.labels.env", op: "eq", value: "dev", message: "dev grants are read-only" }] },
    });
    assert.deepEqual(summary(decide(policy, "x", {}, DEV)), {
      kind: "deny",
      rule: "/all_tools/deny_if/0",
      reason: "dev grants are read-only",
    });
  });
});

// Resource and prompt rules, table-driven: which key decides, what `default` does, and the load errors
// for what they cannot do (hold for approval, count, test conditions).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AccessDecision, CompiledPolicy } from "../src/policy/index.ts";
import { decidePrompt, decideResource, formatPolicyIssue, parsePolicy } from "../src/policy/index.ts";

function compile(document: Record<string, unknown>): CompiledPolicy {
  const result = parsePolicy(JSON.stringify(document), "policies/test.json");
  if (!result.ok) throw new Error(result.errors.map(formatPolicyIssue).join("\n"));
  return result.policy;
}

function loadErrors(document: Record<string, unknown>): string[] {
  const result = parsePolicy(JSON.stringify(document), "policies/test.json");
  assert.equal(result.ok, false, "expected a load error");
  return result.ok ? [] : result.errors.map(formatPolicyIssue);
}

describe("resource rules", () => {
  const policy = compile({
    version: "1",
    default: "deny",
    hide: ["*"],
    resources: {
      "test://static-text": {},
      "test://static-*": { action: "deny", reason: "Static files are for people." },
      "test://*": {},
      "secret://*": { action: "hide" },
    },
  });
  const cases: Array<[string, AccessDecision]> = [
    ["test://static-text", { kind: "allow", rule: "/resources/test:~1~1static-text", reason: "resource test://static-text is allowed by /resources/test:~1~1static-text" }],
    ["test://static-binary", { kind: "deny", rule: "/resources/test:~1~1static-*", reason: "Static files are for people." }],
    ["test://template/1/data", { kind: "allow", rule: "/resources/test:~1~1*", reason: "resource test://template/1/data is allowed by /resources/test:~1~1*" }],
    ["secret://keys", { kind: "hide", rule: "/resources/secret:~1~1*", reason: "resource secret://keys is hidden by policy" }],
    ["file:///etc/passwd", { kind: "deny", rule: "/default", reason: "resource file:///etc/passwd is not listed in the policy and the default is deny" }],
    // A template is decided as if its text were a URI.
    ["test://template/{id}/data", { kind: "allow", rule: "/resources/test:~1~1*", reason: "resource test://template/{id}/data is allowed by /resources/test:~1~1*" }],
  ];
  for (const [uri, expected] of cases) {
    it(`${uri} → ${expected.kind} by ${expected.rule}`, () => assert.deepEqual(decideResource(policy, uri), expected));
  }

  it("tool hide entries do not apply to resources", () => assert.equal(decideResource(policy, "test://anything").kind, "allow"));
});

describe("prompt rules and the default", () => {
  it("an unlisted prompt follows default allow, a listed {} allows, hide and deny apply", () => {
    const policy = compile({ version: "1", default: "allow", prompts: { "internal_*": { action: "hide" }, risky: { action: "deny" }, "internal_ok": {} } });
    assert.deepEqual(decidePrompt(policy, "summarize"), { kind: "allow", rule: "/default", reason: "prompt summarize is allowed by the policy default" });
    assert.deepEqual(decidePrompt(policy, "internal_notes"), { kind: "hide", rule: "/prompts/internal_*", reason: "prompt internal_notes is hidden by policy" });
    assert.deepEqual(decidePrompt(policy, "internal_ok"), { kind: "allow", rule: "/prompts/internal_ok", reason: "prompt internal_ok is allowed by /prompts/internal_ok" });
    assert.deepEqual(decidePrompt(policy, "risky"), { kind: "deny", rule: "/prompts/risky", reason: "prompt risky is denied by policy" });
  });

  it("a require_approval default denies resources and prompts no key allows", () => {
    const policy = compile({ version: "1", default: "require_approval", prompts: { ok: {} } });
    assert.equal(decidePrompt(policy, "ok").kind, "allow");
    assert.deepEqual(decidePrompt(policy, "other"), {
      kind: "deny",
      rule: "/default",
      reason: "prompt other is not listed in the policy and the default require_approval applies to tool calls only",
    });
    assert.equal(decideResource(policy, "test://x").kind, "deny");
  });

  it("a PolicyLayer document (no resources, no prompts) decides them by its default", () => {
    const policy = compile({ version: "1", default: "deny", tools: { list: {} } });
    assert.equal(decideResource(policy, "test://static-text").kind, "deny");
    assert.equal(decidePrompt(policy, "p").kind, "deny");
  });
});

describe("resource and prompt rules that cannot load", () => {
  it("require_approval is refused with the reason", () => {
    assert.deepEqual(loadErrors({ version: "1", resources: { "test://*": { action: "require_approval" } } }), [
      'policies/test.json: /resources/test:~1~1*/action: require_approval is not supported here: a resource read or prompt get cannot be held for review; use "allow", "deny" or "hide"',
    ]);
  });

  it("limits, conditions and approval blocks are refused by name", () => {
    assert.deepEqual(
      loadErrors({ version: "1", prompts: { p: { limits: [{ counter: "c", window: "minute", max: 1 }], deny_if: [] } } }),
      [
        'policies/test.json: /prompts/p/limits: "limits" is not supported for prompts: limits, conditions and approvals apply to tool calls only, prompt gets are allowed, denied or hidden ("action", "reason")',
        'policies/test.json: /prompts/p/deny_if: "deny_if" is not supported for prompts: limits, conditions and approvals apply to tool calls only, prompt gets are allowed, denied or hidden ("action", "reason")',
      ],
    );
    assert.match(loadErrors({ version: "1", resources: { "a://b": { approval: {} } } }).join("\n"), /\/resources\/a:~1~1b\/approval: "approval" is not supported for resources/);
  });

  it("two globs with the same literal prefix are a load error, as for tools", () => {
    assert.deepEqual(loadErrors({ version: "1", resources: { "test://*/a": {}, "test://?b": {} } }), [
      'policies/test.json: /resources/test:~1~1?b: resource keys "test://*/a" and "test://?b" have the same literal prefix "test://", so neither is more specific; list the resources by name or make one prefix longer',
    ]);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PolicyLoadResult } from "../src/policy/index.ts";
import { formatPolicyIssue, loadPolicyFile, parsePolicy } from "../src/policy/index.ts";

const FILE = "policies/x.json";

function errorsOf(result: PolicyLoadResult): string[] {
  assert.equal(result.ok, false, "expected the policy to be rejected");
  return result.ok ? [] : result.errors.map(formatPolicyIssue);
}

function rejected(document: unknown): string[] {
  return errorsOf(parsePolicy(JSON.stringify(document), FILE));
}

function tool(rule: Record<string, unknown>): Record<string, unknown> {
  return { version: "1", tools: { a: rule } };
}

const condition = (fields: Record<string, unknown>) => tool({ deny_if: [{ path: "args.x", ...fields }] });

describe("load errors name the file, the JSON pointer and the problem", () => {
  const rows: Array<[name: string, document: unknown, expected: string[]]> = [
    ["bad action", tool({ action: "maybe" }), [`${FILE}: /tools/a/action: Invalid option: expected one of "allow"|"deny"|"require_approval"`]],
    ["missing version", { tools: {} }, [`${FILE}: /version: Missing required field`]],
    ["wrong version", { version: "2" }, [`${FILE}: /version: Invalid input: expected "1"`]],
    ["numeric version", { version: 1 }, [`${FILE}: /version: Invalid input: expected "1"`]],
    ["bad default", { version: "1", default: "ask" }, [`${FILE}: /default: Invalid option: expected one of "allow"|"deny"|"require_approval"`]],
    ["unknown top-level field", { version: "1", tool: {} }, [`${FILE}: /tool: Unrecognized key: "tool"`]],
    ["typo in a tool rule", tool({ actoin: "deny" }), [`${FILE}: /tools/a/actoin: Unrecognized key: "actoin"`]],
    ["empty tool key", { version: "1", tools: { "": {} } }, [`${FILE}: /tools/: Invalid key: Too small: expected string to have >=1 characters`]],
    ["hide not a list", { version: "1", hide: "x" }, [`${FILE}: /hide: Invalid input: expected array, received string`]],
    [
      "bad limit window",
      { version: "1", tools: { smartlead_x: { limits: [{ counter: "c", window: "week", max: 1 }] } } },
      [`${FILE}: /tools/smartlead_x/limits/0/window: Invalid option: expected one of "second"|"minute"|"hour"|"day"`],
    ],
    ["zero max", tool({ limits: [{ counter: "c", window: "minute", max: 0 }] }), [`${FILE}: /tools/a/limits/0/max: Too small: expected number to be >0`]],
    ["fractional max", tool({ limits: [{ counter: "c", window: "minute", max: 1.5 }] }), [`${FILE}: /tools/a/limits/0/max: Invalid input: expected int, received number`]],
    ["bad scope", tool({ limits: [{ counter: "c", window: "minute", max: 1, scope: "user" }] }), [`${FILE}: /tools/a/limits/0/scope: Invalid option: expected one of "grant"|"session"|"global"`]],
    ["missing counter", { version: "1", all_tools: { limits: [{ window: "minute", max: 1 }] } }, [`${FILE}: /all_tools/limits/0/counter: Missing required field`]],
    ["unknown op", condition({ op: "equals", value: 1 }), [`${FILE}: /tools/a/deny_if/0/op: Invalid option: expected one of "eq"|"ne"|"contains"|"gt"|"gte"|"lt"|"lte"|"in"|"not_in"|"starts_with"|"ends_with"|"matches"|"exists"|"not_exists"|"len_gt"|"len_lt"`]],
    ["missing op", condition({ value: 1 }), [`${FILE}: /tools/a/deny_if/0/op: Missing required field`]],
    ["eq without value", condition({ op: "eq" }), [`${FILE}: /tools/a/deny_if/0/value: Missing required field`]],
    ["gt with a string", condition({ op: "gt", value: "10" }), [`${FILE}: /tools/a/deny_if/0/value: Invalid input: expected number, received string`]],
    ["in without a list", condition({ op: "in", value: "a" }), [`${FILE}: /tools/a/deny_if/0/value: Invalid input: expected array, received string`]],
    ["starts_with a number", condition({ op: "starts_with", value: 1 }), [`${FILE}: /tools/a/deny_if/0/value: Invalid input: expected string, received number`]],
    ["exists with a value", condition({ op: "exists", value: true }), [`${FILE}: /tools/a/deny_if/0/value: Unrecognized key: "value"`]],
    ["negative length", condition({ op: "len_gt", value: -1 }), [`${FILE}: /tools/a/deny_if/0/value: Too small: expected number to be >=0`]],
    ["invalid regex", condition({ op: "matches", value: "([a-z" }), [`${FILE}: /tools/a/deny_if/0/value: Invalid regular expression: /([a-z/: Unterminated character class`]],
    [
      "bad path root",
      tool({ require: [{ path: "arguments.x", op: "exists" }] }),
      [`${FILE}: /tools/a/require/0/path: path must be "args.<field>[.<field>|.<index>…]", "grant.name", "grant.owner", "grant.labels.<key>" or "session.id"`],
    ],
    ["unknown grant field", tool({ require: [{ path: "grant.nmae", op: "exists" }] }), [`${FILE}: /tools/a/require/0/path: path must be "args.<field>[.<field>|.<index>…]", "grant.name", "grant.owner", "grant.labels.<key>" or "session.id"`]],
    ["error inside any", tool({ approval_if: [{ any: [{ path: "args.x", op: "exists" }, { path: "args.y", op: "gt" }] }] }), [`${FILE}: /tools/a/approval_if/0/any/1/value: Missing required field`]],
    ["error inside not", tool({ require: [{ not: { path: "args.x", op: "nope" } }] }), [`${FILE}: /tools/a/require/0/not/op: Invalid option: expected one of "eq"|"ne"|"contains"|"gt"|"gte"|"lt"|"lte"|"in"|"not_in"|"starts_with"|"ends_with"|"matches"|"exists"|"not_exists"|"len_gt"|"len_lt"`]],
    ["empty any", tool({ require: [{ any: [] }] }), [`${FILE}: /tools/a/require/0/any: Too small: expected array to have >=1 items`]],
    ["not a condition", tool({ require: [{ anyy: [] }] }), [`${FILE}: /tools/a/require/0: Expected a condition: {"path", "op", "value"?, "message"?}, or {"any": [...]}, {"all": [...]}, {"not": {...}}`]],
    ["mixed condition", tool({ require: [{ path: "args.x", op: "exists", any: [] }] }), [`${FILE}: /tools/a/require/0/any: Unrecognized key: "any"`]],
    ["bad approver", tool({ action: "require_approval", approval: { approvers: ["U012AB3CD", "bob"] } }), [`${FILE}: /tools/a/approval/approvers/1: approvers must be Slack user ids (U…, W…) or user-group ids (S…)`]],
    ["bad timeout", tool({ action: "require_approval", approval: { timeout: "15 minutes" } }), [`${FILE}: /tools/a/approval/timeout: timeout must be a duration like "30s", "15m", "2h" or "1d"`]],
    ["on_timeout allow", tool({ action: "require_approval", approval: { on_timeout: "allow" } }), [`${FILE}: /tools/a/approval/on_timeout: Invalid input: expected "deny"`]],
    ["zero approvals", tool({ action: "require_approval", approval: { min_approvals: 0 } }), [`${FILE}: /tools/a/approval/min_approvals: Too small: expected number to be >=1`]],
    ["too few approvers", tool({ action: "require_approval", approval: { approvers: ["U1AAAA", "U2BBBB"], min_approvals: 3 } }), [`${FILE}: /tools/a/approval/min_approvals: min_approvals is 3 but only 2 approver(s) are listed`]],
    ["bad wait", tool({ action: "require_approval", approval: { wait: "poll" } }), [`${FILE}: /tools/a/approval/wait: Invalid option: expected one of "hold"|"ticket"`]],
    ["not an object", [], [`${FILE}: Invalid input: expected object, received array`]],
  ];
  for (const [name, document, expected] of rows) {
    it(name, () => assert.deepEqual(rejected(document), expected));
  }

  it("reports every problem, not just the first", () => {
    const errors = rejected({ version: "1", default: "ask", tools: { a: { action: "x" }, b: { limits: [{}] } } });
    assert.equal(errors.length, 5);
  });

  it("accepts user groups whatever min_approvals says, since a group's size is unknown", () => {
    assert.ok(parsePolicy(JSON.stringify(tool({ approval: { approvers: ["S0OPS"], min_approvals: 3 }, action: "require_approval" })), FILE).ok);
  });
});

describe("ambiguous globs", () => {
  it("rejects two globs with the same literal prefix, naming both keys", () => {
    assert.deepEqual(rejected({ version: "1", tools: { "smartlead_*_campaign": {}, "smartlead_?et_*": { action: "deny" } } }), [
      `${FILE}: /tools/smartlead_?et_*: tool keys "smartlead_*_campaign" and "smartlead_?et_*" have the same literal prefix "smartlead_", so neither is more specific; list the tools by name or make one prefix longer`,
    ]);
  });

  it("accepts globs whose prefixes differ, even at equal length", () => {
    assert.ok(parsePolicy(JSON.stringify({ version: "1", tools: { "get_*": {}, "set_*": {}, "get_c*": {}, get_campaign: {} } }), FILE).ok);
  });
});

describe("bad JSON", () => {
  const rows: Array<[name: string, text: string, expected: string]> = [
    ["missing value", '{\n  "version": "1",\n  "default": }', `${FILE}: invalid JSON at line 3, column 14: unexpected "}", expected a value`],
    ["trailing comma", '{\n  "version": "1",\n}', `${FILE}: invalid JSON at line 3, column 1: unexpected "}", expected a double-quoted property name`],
    ["missing colon", '{"version" "1"}', `${FILE}: invalid JSON at line 1, column 12: unexpected "\\"", expected ":"`],
    ["truncated", '{"version": "1",\n', `${FILE}: invalid JSON at line 2, column 1: unexpected end of input, expected a double-quoted property name`],
    ["empty file", "", `${FILE}: invalid JSON at line 1, column 1: unexpected end of input, expected a value`],
    ["comment", '{\n  // allow reads\n  "version": "1"\n}', `${FILE}: invalid JSON at line 2, column 3: unexpected "/", expected a double-quoted property name`],
  ];
  for (const [name, text, expected] of rows) {
    it(name, () => {
      const result = parsePolicy(text, FILE);
      assert.deepEqual(errorsOf(result), [expected]);
      assert.equal(result.ok ? null : result.errors[0]?.path, "");
    });
  }

  it("ignores a byte-order mark", () => assert.ok(parsePolicy('\uFEFF{"version":"1"}', FILE).ok));
});

describe("warnings", () => {
  it("flags fields that can never take effect", () => {
    const result = parsePolicy(
      JSON.stringify({
        version: "1",
        hide: ["debug_*"],
        all_tools: { limits: [{ counter: "shared", window: "minute", max: 10 }] },
        tools: {
          a: { action: "deny", reason: "one", on_deny: "two" },
          b: { approval: { channel: "C1" } },
          debug_dump: {},
          c: { limits: [{ counter: "shared", window: "hour", max: 100 }] },
        },
      }),
      FILE,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, [
      `${FILE}: /tools/a: both "reason" and "on_deny" are set; "reason" is used`,
      `${FILE}: /tools/b/approval: never used, this tool never requires approval`,
      `${FILE}: /tools/debug_dump: never applies, the tool is hidden by /hide/0`,
      `${FILE}: counter "shared" is used with different windows or scopes (/all_tools/limits/0, /tools/c/limits/0); each window and scope is counted separately`,
    ]);
  });
});

describe("loadPolicyFile", () => {
  it("loads a file, and returns unreadable files as errors", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-policy-load-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "ok.json");
    await writeFile(file, JSON.stringify({ version: "1", tools: { a: {} } }));
    const loaded = await loadPolicyFile(file);
    assert.ok(loaded.ok);
    assert.equal(loaded.policy.source, file);

    assert.deepEqual(errorsOf(await loadPolicyFile(join(dir, "missing.json"))), [
      `${join(dir, "missing.json")}: cannot read policy file: file not found`,
    ]);
    assert.deepEqual(errorsOf(await loadPolicyFile(dir)), [`${dir}: cannot read policy file: is a directory`]);
  });
});

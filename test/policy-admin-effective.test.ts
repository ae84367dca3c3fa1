// Table tests for effectiveDecisions: what a grant may do with each tool before any call is made.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CallFacts, CompiledPolicy, EffectiveDecision } from "../src/policy/index.ts";
import { effectiveDecisions, evaluate, formatPolicyIssue, locateJsonPointer, parsePolicy } from "../src/policy/index.ts";

const PROD: CallFacts["grant"] = { name: "agent-prod", owner: "U0OWNER01", labels: { env: "prod" } };
const DEV: CallFacts["grant"] = { name: "agent-dev", labels: { env: "dev" } };

function compile(document: Record<string, unknown>): CompiledPolicy {
  const result = parsePolicy(JSON.stringify(document), "policies/test.json");
  if (!result.ok) throw new Error(result.errors.map(formatPolicyIssue).join("\n"));
  return result.policy;
}

function only(policy: CompiledPolicy, tool: string, grant: CallFacts["grant"] | null): EffectiveDecision {
  const [entry] = effectiveDecisions(policy, [tool], grant);
  assert.ok(entry);
  return entry;
}

type Row = {
  name: string;
  policy: Record<string, unknown>;
  tool: string;
  grant: CallFacts["grant"] | null;
  expected: Partial<EffectiveDecision>;
  /** Arguments of a call the decided entry must agree with (default: none). */
  args?: Record<string, unknown>;
};

const ENV_PROD = { path: "grant.labels.env", op: "eq", value: "prod" };
const STATUS_START = { path: "args.status", op: "eq", value: "START" };

const ROWS: Row[] = [
  {
    name: "a listed tool with {} is allowed",
    policy: { version: "1", tools: { read: {} } },
    tool: "read",
    grant: PROD,
    expected: { decision: "allow", rule: "/tools/read", reason: "read is allowed by /tools/read", conditions: [], otherwise: null, approval: null },
  },
  {
    name: "an unlisted tool follows the default",
    policy: { version: "1", default: "deny" },
    tool: "write",
    grant: PROD,
    expected: { decision: "deny", rule: "/default", reason: "write is not listed in the policy and the default is deny" },
  },
  {
    name: "hide wins over the tool's rule",
    policy: { version: "1", hide: ["drop_*"], tools: { drop_table: {} } },
    tool: "drop_table",
    grant: PROD,
    expected: { decision: "hide", rule: "/hide/0", reason: "drop_table is hidden by policy", limits: [] },
  },
  {
    name: "an unconditional deny keeps its reason",
    policy: { version: "1", tools: { drop: { action: "deny", reason: "people do this" } } },
    tool: "drop",
    grant: PROD,
    expected: { decision: "deny", rule: "/tools/drop", reason: "people do this" },
  },
  {
    name: "require_approval carries the approval settings",
    policy: { version: "1", tools: { send: { action: "require_approval", approval: { channel: "C0OPS", timeout: "5m" } } } },
    tool: "send",
    grant: PROD,
    expected: { decision: "require_approval", rule: "/tools/send" },
  },
  {
    name: "a grant.* requirement this grant meets is decided: allow",
    policy: { version: "1", tools: { deploy: { require: [ENV_PROD] } } },
    tool: "deploy",
    grant: PROD,
    expected: { decision: "allow", rule: "/tools/deploy", conditions: [] },
  },
  {
    name: "a grant.* requirement this grant fails is decided: deny with the generated reason",
    policy: { version: "1", tools: { deploy: { require: [ENV_PROD] } } },
    tool: "deploy",
    grant: DEV,
    expected: { decision: "deny", rule: "/tools/deploy/require/0", reason: 'grant.labels.env must equal "prod"' },
  },
  {
    name: "without a grant, a grant.* requirement is conditional",
    policy: { version: "1", tools: { deploy: { require: [ENV_PROD] } } },
    tool: "deploy",
    grant: null,
    expected: {
      decision: "conditional",
      rule: "/tools/deploy",
      reason: null,
      conditions: [{ effect: "deny", rule: "/tools/deploy/require/0", summary: 'denied unless grant.labels.env equals "prod"' }],
      otherwise: "allow",
      isListed: null,
    },
  },
  {
    name: "an args.* deny_if is conditional",
    policy: { version: "1", tools: { update: { deny_if: [STATUS_START] } } },
    tool: "update",
    grant: PROD,
    expected: {
      decision: "conditional",
      conditions: [{ effect: "deny", rule: "/tools/update/deny_if/0", summary: 'denied when args.status equals "START"' }],
      otherwise: "allow",
      approval: null,
    },
  },
  {
    name: "a deny_if mixing grant and args: the grant part decided true leaves the args part",
    policy: { version: "1", tools: { update: { deny_if: [ENV_PROD, STATUS_START] } } },
    tool: "update",
    grant: PROD,
    expected: {
      decision: "conditional",
      conditions: [{ effect: "deny", rule: "/tools/update/deny_if", summary: 'denied when args.status equals "START"' }],
      otherwise: "allow",
    },
  },
  {
    name: "a deny_if mixing grant and args: the grant part decided false means it never fires",
    policy: { version: "1", tools: { update: { deny_if: [ENV_PROD, STATUS_START] } } },
    tool: "update",
    grant: DEV,
    expected: { decision: "allow", rule: "/tools/update", conditions: [] },
  },
  {
    name: "any/all/not are simplified with the grant's facts",
    policy: {
      version: "1",
      tools: { update: { deny_if: [{ any: [{ not: ENV_PROD }, { all: [ENV_PROD, STATUS_START] }] }] } },
    },
    tool: "update",
    grant: PROD,
    expected: {
      decision: "conditional",
      conditions: [{ effect: "deny", rule: "/tools/update/deny_if/0", summary: 'denied when args.status equals "START"' }],
    },
  },
  {
    name: "the same any/all/not deny every call of another grant",
    policy: {
      version: "1",
      tools: { update: { reason: "not from dev", deny_if: [{ any: [{ not: ENV_PROD }, { all: [ENV_PROD, STATUS_START] }] }] } },
    },
    tool: "update",
    grant: DEV,
    expected: { decision: "deny", rule: "/tools/update/deny_if/0", reason: "not from dev" },
  },
  {
    name: "an args.* approval_if makes an allowed tool conditional, with the approval settings",
    policy: { version: "1", tools: { update: { approval_if: [{ path: "args.campaign_id", op: "exists" }] } } },
    tool: "update",
    grant: PROD,
    expected: {
      decision: "conditional",
      conditions: [{ effect: "require_approval", rule: "/tools/update/approval_if/0", summary: "needs approval when args.campaign_id is set" }],
      otherwise: "allow",
    },
  },
  {
    name: "an args.* approval_if on a tool that needs approval anyway changes nothing",
    policy: { version: "1", tools: { update: { action: "require_approval", approval_if: [{ path: "args.campaign_id", op: "exists" }] } } },
    tool: "update",
    grant: PROD,
    expected: { decision: "require_approval", rule: "/tools/update", reason: "update requires approval", conditions: [] },
  },
  {
    name: "a grant.* approval_if that holds: require_approval with its rule",
    policy: { version: "1", default: "allow", all_tools: { approval_if: [{ path: "grant.name", op: "eq", value: "agent-prod", message: "prod agents ask first" }] } },
    tool: "anything",
    grant: PROD,
    expected: { decision: "require_approval", rule: "/all_tools/approval_if/0", reason: "prod agents ask first" },
  },
  {
    name: "an args.* deny before a decided approval: conditional, otherwise approval",
    policy: {
      version: "1",
      all_tools: { approval_if: [ENV_PROD] },
      tools: { update: { deny_if: [STATUS_START] } },
    },
    tool: "update",
    grant: PROD,
    expected: {
      decision: "conditional",
      conditions: [{ effect: "deny", rule: "/tools/update/deny_if/0", summary: 'denied when args.status equals "START"' }],
      otherwise: "require_approval",
    },
  },
  {
    name: "an args.* require before a decided grant deny: deny for every call",
    policy: {
      version: "1",
      all_tools: { require: [{ path: "args.reason", op: "exists" }] },
      tools: { update: { deny_if: [{ path: "grant.name", op: "eq", value: "agent-dev", message: "dev may not" }] } },
    },
    tool: "update",
    grant: DEV,
    expected: { decision: "deny", rule: "/tools/update/deny_if/0", reason: "dev may not" },
    args: { reason: "cleanup" },
  },
  {
    name: "session.* conditions are per call",
    policy: { version: "1", tools: { update: { require: [{ path: "session.id", op: "starts_with", value: "s-" }] } } },
    tool: "update",
    grant: PROD,
    expected: {
      decision: "conditional",
      conditions: [{ effect: "deny", rule: "/tools/update/require/0", summary: 'denied unless session.id starts with "s-"' }],
    },
  },
];

describe("effectiveDecisions", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const entry = only(compile(row.policy), row.tool, row.grant);
      const picked = Object.fromEntries(Object.keys(row.expected).map((key) => [key, entry[key as keyof EffectiveDecision]]));
      assert.deepEqual(picked, row.expected);
    });
  }

  it("agrees with evaluate for every decided entry", () => {
    for (const row of ROWS) {
      const policy = compile(row.policy);
      const entry = only(policy, row.tool, row.grant);
      if (entry.decision === "conditional" || row.grant === null) continue;
      const decision = evaluate(policy, { tool: row.tool, args: row.args ?? {}, grant: row.grant, session: { id: "s-1" } }, new Date());
      assert.deepEqual([entry.decision, entry.rule, entry.reason], [decision.kind, decision.rule, decision.reason], row.name);
    }
  });

  it("gives limits and approval settings for tools the policy lets through", () => {
    const policy = compile({
      version: "1",
      all_tools: { limits: [{ counter: "all", window: "minute", max: 60 }] },
      tools: {
        send: { action: "require_approval", limits: [{ counter: "send", window: "hour", max: 5 }], approval: { channel: "C0OPS", min_approvals: 2, timeout: "5m" } },
        drop: { action: "deny" },
      },
    });
    const [drop, send] = effectiveDecisions(policy, ["send", "drop"], PROD);
    assert.deepEqual(drop?.limits, []);
    assert.deepEqual(drop?.approval, null);
    assert.deepEqual(
      send?.limits.map((limit) => [limit.counter, limit.max, limit.rule]),
      [
        ["all", 60, "/all_tools/limits/0"],
        ["send", 5, "/tools/send/limits/0"],
      ],
    );
    assert.deepEqual(send?.approval, {
      channel: "C0OPS",
      approvers: [],
      minApprovals: 2,
      timeout: "5m",
      timeoutMs: 300_000,
      onTimeout: "deny",
      allowSelfApproval: false,
      wait: "hold",
      rule: "/tools/send/approval",
    });
  });

  it("lists offered tools and the exact keys the upstream does not offer, sorted, with tools/list visibility", () => {
    const policy = compile({
      version: "1",
      default: "deny",
      tools: { "get_*": {}, deploy: { require: [ENV_PROD] }, retired_tool: {} },
    });
    const rows = effectiveDecisions(policy, ["get_user", "deploy", "delete_user"], DEV);
    assert.deepEqual(
      rows.map((row) => [row.tool, row.isOffered, row.isListed, row.decision]),
      [
        ["delete_user", true, false, "deny"],
        ["deploy", true, false, "deny"],
        ["get_user", true, true, "allow"],
        ["retired_tool", false, true, "allow"],
      ],
    );
  });

  it("differs between two grants when a condition reads grant.*", () => {
    const policy = compile({ version: "1", tools: { deploy: { require: [ENV_PROD] } } });
    assert.equal(only(policy, "deploy", PROD).decision, "allow");
    assert.equal(only(policy, "deploy", DEV).decision, "deny");
  });
});

describe("locateJsonPointer", () => {
  const text = ['{', '  "version": "1",', '  "tools": {', '    "a/b": { "actoin": "x", "limits": [{ "w": 1 }, { "window": "year" }] },', '    "b": {}', "  }", "}"].join("\n");
  const rows: Array<[string, { line: number; column: number }]> = [
    ["", { line: 1, column: 1 }],
    ["/version", { line: 2, column: 3 }],
    ["/tools/a~1b/actoin", { line: 4, column: 14 }],
    ["/tools/a~1b/limits/1/window", { line: 4, column: 54 }],
    ["/tools/b/missing", { line: 5, column: 5 }],
    ["/tools/a~1b/limits/7", { line: 4, column: 29 }],
  ];
  for (const [pointer, expected] of rows) {
    it(`finds ${pointer || "the root"}`, () => assert.deepEqual(locateJsonPointer(text, pointer), expected));
  }
});

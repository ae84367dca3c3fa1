// A validated document plus what evaluation needs precomputed: tool patterns ordered by specificity,
// hide patterns, and compiled regexes. Ambiguous globs are rejected here, never resolved silently.
import type { PolicyIssue } from "./issues.ts";
import { toJsonPointer } from "./issues.ts";
import type { ToolPattern } from "./match.ts";
import { compileToolPattern, findAmbiguousGlobs, matchesToolPattern, sortBySpecificity } from "./match.ts";
import type { AccessRule, Condition, Limit, Policy, ToolRule } from "./schema.ts";

export interface CompiledToolRule {
  readonly key: string;
  /** JSON Pointer of the rule, e.g. /tools/smartlead_get_* */
  readonly pointer: string;
  readonly rule: ToolRule;
  readonly pattern: ToolPattern;
}

export interface CompiledHidePattern {
  readonly pointer: string;
  readonly pattern: ToolPattern;
}

export interface CompiledAccessRule {
  readonly key: string;
  /** JSON Pointer of the rule, e.g. /resources/test:~1~1static-* */
  readonly pointer: string;
  readonly rule: AccessRule;
  readonly pattern: ToolPattern;
}

/** The rules of `resources` or `prompts`: exact keys by name, globs most specific first. */
export interface CompiledAccessRules {
  readonly exact: ReadonlyMap<string, CompiledAccessRule>;
  readonly globs: readonly CompiledAccessRule[];
}

export interface CompiledPolicy {
  readonly source: string;
  readonly document: Policy;
  readonly exactRules: ReadonlyMap<string, CompiledToolRule>;
  /** Most specific first; no two share a literal prefix. */
  readonly globRules: readonly CompiledToolRule[];
  readonly hidden: readonly CompiledHidePattern[];
  readonly regexes: ReadonlyMap<string, RegExp>;
  readonly resources: CompiledAccessRules;
  readonly prompts: CompiledAccessRules;
}

export type CompileResult = { ok: true; policy: CompiledPolicy; warnings: string[] } | { ok: false; errors: PolicyIssue[] };

export function compilePolicy(document: Policy, source: string): CompileResult {
  const rules = keyedRules("tools", document.tools);
  const resources = keyedRules("resources", document.resources);
  const prompts = keyedRules("prompts", document.prompts);
  const errors = [
    ...ambiguityErrors(source, "tools", "tool", rules),
    ...ambiguityErrors(source, "resources", "resource", resources),
    ...ambiguityErrors(source, "prompts", "prompt", prompts),
  ];
  if (errors.length > 0) return { ok: false, errors };

  const policy: CompiledPolicy = {
    source,
    document,
    exactRules: new Map(rules.filter((entry) => !entry.pattern.isGlob).map((entry) => [entry.key, entry])),
    globRules: sortBySpecificity(rules.filter((entry) => entry.pattern.isGlob)),
    hidden: document.hide.map((pattern, index) => ({ pointer: `/hide/${index}`, pattern: compileToolPattern(pattern) })),
    regexes: new Map(allConditions(document).flatMap(regexEntries)),
    resources: accessRules(resources),
    prompts: accessRules(prompts),
  };
  return { ok: true, policy, warnings: collectWarnings(policy).map((warning) => `${source}: ${warning}`) };
}

function keyedRules<R>(section: string, record: Record<string, R>) {
  return Object.entries(record).map(([key, rule]) => ({ key, pointer: toJsonPointer([section, key]), rule, pattern: compileToolPattern(key) }));
}

function ambiguityErrors(source: string, section: string, noun: string, rules: ReadonlyArray<{ pattern: ToolPattern }>): PolicyIssue[] {
  return findAmbiguousGlobs(rules.map((entry) => entry.pattern)).map(([first, second]) => ({
    file: source,
    path: toJsonPointer([section, second]),
    message:
      `${noun} keys "${first}" and "${second}" have the same literal prefix ` +
      `"${compileToolPattern(first).literalPrefix}", so neither is more specific; list the ${noun}s by name or make one prefix longer`,
  }));
}

function accessRules(rules: CompiledAccessRule[]): CompiledAccessRules {
  return { exact: new Map(rules.filter((entry) => !entry.pattern.isGlob).map((entry) => [entry.key, entry])), globs: sortBySpecificity(rules.filter((entry) => entry.pattern.isGlob)) };
}

/** The most specific `resources` or `prompts` key matching `name`, or null. */
export function findAccessRule(rules: CompiledAccessRules, name: string): CompiledAccessRule | null {
  return rules.exact.get(name) ?? rules.globs.find((entry) => matchesToolPattern(entry.pattern, name)) ?? null;
}

export function findToolRule(policy: CompiledPolicy, toolName: string): CompiledToolRule | null {
  const exact = policy.exactRules.get(toolName);
  if (exact) return exact;
  return policy.globRules.find((entry) => matchesToolPattern(entry.pattern, toolName)) ?? null;
}

export function findHidePattern(policy: CompiledPolicy, toolName: string): CompiledHidePattern | null {
  return policy.hidden.find((entry) => matchesToolPattern(entry.pattern, toolName)) ?? null;
}

function allConditions(document: Policy): Condition[] {
  const lists = [document.all_tools, ...Object.values(document.tools)].flatMap((rule) =>
    rule ? [rule.require, rule.deny_if, rule.approval_if] : [],
  );
  return lists.flatMap((list) => list ?? []);
}

function regexEntries(condition: Condition): Array<[string, RegExp]> {
  if ("any" in condition) return condition.any.flatMap(regexEntries);
  if ("all" in condition) return condition.all.flatMap(regexEntries);
  if ("not" in condition) return regexEntries(condition.not);
  return condition.op === "matches" ? [[condition.value, new RegExp(condition.value)]] : [];
}

function collectWarnings(policy: CompiledPolicy): string[] {
  const { document } = policy;
  const warnings: string[] = [];
  const anyApprovalIf = (document.all_tools?.approval_if?.length ?? 0) > 0;
  for (const entry of [...policy.exactRules.values(), ...policy.globRules]) {
    const { rule, pointer } = entry;
    if (rule.reason !== undefined && rule.on_deny !== undefined) {
      warnings.push(`${pointer}: both "reason" and "on_deny" are set; "reason" is used`);
    }
    const mayNeedApproval = rule.action === "require_approval" || (rule.approval_if?.length ?? 0) > 0 || anyApprovalIf;
    if (rule.approval !== undefined && (rule.action === "deny" || !mayNeedApproval)) {
      warnings.push(`${pointer}/approval: never used, this tool never requires approval`);
    }
    const hiddenBy = policy.hidden.find((hide) => matchesToolPattern(hide.pattern, entry.key));
    if (hiddenBy && !entry.pattern.isGlob) {
      warnings.push(`${pointer}: never applies, the tool is hidden by ${hiddenBy.pointer}`);
    }
  }
  warnings.push(...counterWarnings(document));
  return warnings;
}

function counterWarnings(document: Policy): string[] {
  const uses = new Map<string, Array<{ pointer: string; limit: Limit }>>();
  const record = (limits: Limit[] | undefined, base: string[]) =>
    (limits ?? []).forEach((limit, index) => {
      const list = uses.get(limit.counter) ?? [];
      list.push({ pointer: toJsonPointer([...base, "limits", index]), limit });
      uses.set(limit.counter, list);
    });
  record(document.all_tools?.limits, ["all_tools"]);
  for (const [key, rule] of Object.entries(document.tools)) record(rule.limits, ["tools", key]);
  return [...uses.entries()]
    .filter(([, list]) => new Set(list.map(({ limit }) => `${limit.window}/${limit.scope}`)).size > 1)
    .map(
      ([counter, list]) =>
        `counter "${counter}" is used with different windows or scopes (${list.map((use) => use.pointer).join(", ")}); ` +
        "each window and scope is counted separately",
    );
}

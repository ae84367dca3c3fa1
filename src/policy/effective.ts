// What one grant may do with each tool before any call is made (the dashboard's Policies page).
// Conditions on grant.* are decided with the grant's facts; conditions on args.* and session.* can only
// be decided per call, so a tool they govern is "conditional" and the undecided parts are listed.
import type { CompiledPolicy } from "./compile.ts";
import { findHidePattern, findToolRule } from "./compile.ts";
import type { CallFacts } from "./conditions.ts";
import { conditionHolds, describeCondition } from "./conditions.ts";
import type { ResolvedApprovalSpec, ResolvedLimit } from "./evaluate.ts";
import { approvalIfReason, denyIfReason, evaluate, isListed, listPointer, requireFailureReason, resolveApproval, resolveLimits } from "./evaluate.ts";
import { toJsonPointer } from "./issues.ts";
import type { Condition } from "./schema.ts";

export type EffectiveKind = "allow" | "deny" | "hide" | "require_approval" | "conditional";

export interface EffectiveCondition {
  /** What the call gets when this part decides it. */
  effect: "deny" | "require_approval";
  /** JSON Pointer of the condition (or of the list, when several items must hold together). */
  rule: string;
  /** The undecided part in words, e.g. `denied when args.status equals "START"`. */
  summary: string;
}

export type EffectiveApproval = Omit<ResolvedApprovalSpec, "expiresAt">;

export interface EffectiveDecision {
  tool: string;
  /** False for a tool named in the policy that the upstream does not offer. */
  isOffered: boolean;
  /** Whether the grant sees the tool in tools/list; null when no grant was given. */
  isListed: boolean | null;
  decision: EffectiveKind;
  /** The rule that decides (for "conditional": the tool's rule, or /default). */
  rule: string | null;
  /** What the agent is told, for a decision known in advance; null for "conditional". */
  reason: string | null;
  /** For "conditional": the parts decided per call, in the order they are checked. */
  conditions: EffectiveCondition[];
  /** For "conditional": what applies when none of `conditions` decides. */
  otherwise: "allow" | "require_approval" | null;
  /** Approval settings, when the tool may need approval. */
  approval: EffectiveApproval | null;
  /** Limits that count calls the policy lets through. */
  limits: ResolvedLimit[];
}

type Residual = boolean | Condition;
type GrantFacts = CallFacts["grant"];

const NO_TIME = new Date(0);

/**
 * One entry per tool the upstream offers, plus the exact tool keys of the policy that it does not offer,
 * sorted by name. `grant` null leaves grant.* conditions undecided too.
 */
export function effectiveDecisions(policy: CompiledPolicy, tools: readonly string[], grant: GrantFacts | null): EffectiveDecision[] {
  const offered = new Set(tools);
  const named = [...policy.exactRules.keys()].filter((name) => !offered.has(name));
  return [...offered, ...named]
    .sort((a, b) => a.localeCompare(b))
    .map((tool) => ({
      ...decideTool(policy, tool, grant),
      tool,
      isOffered: offered.has(tool),
      isListed: grant ? isListed(policy, tool, grant) : null,
    }));
}

type ToolOutcome = Omit<EffectiveDecision, "tool" | "isOffered" | "isListed">;

function decideTool(policy: CompiledPolicy, tool: string, grant: GrantFacts | null): ToolOutcome {
  const hidden = findHidePattern(policy, tool);
  if (hidden) return fixed("hide", hidden.pointer, `${tool} is hidden by policy`);
  const toolRule = findToolRule(policy, tool);
  const action = toolRule ? (toolRule.rule.action ?? "allow") : policy.document.default;
  const actionRule = toolRule ? toolRule.pointer : "/default";
  if (action === "deny") return fromEvaluation(policy, tool, grant);

  const simplify = (condition: Condition) => residualOf(condition, grant, policy.regexes);
  const fallback = toolRule?.rule.reason ?? toolRule?.rule.on_deny;
  const sections = [
    { rule: policy.document.all_tools, base: ["all_tools"], fallback: undefined },
    { rule: toolRule?.rule, base: toolRule ? ["tools", toolRule.key] : [], fallback },
  ];
  const undecided: EffectiveCondition[] = [];
  for (const { rule, base, fallback: text } of sections) {
    for (const [index, condition] of (rule?.require ?? []).entries()) {
      const residual = simplify(condition);
      const pointer = toJsonPointer([...base, "require", index]);
      if (residual === false) return fixed("deny", pointer, requireFailureReason(condition, text));
      if (residual !== true) undecided.push({ effect: "deny", rule: pointer, summary: `denied unless ${describeCondition(residual)}` });
    }
    const list = rule?.deny_if ?? [];
    const denyIf = listOutcome(list, simplify);
    if (denyIf === true) return fixed("deny", listPointer([...base, "deny_if"], list), denyIfReason(list, tool, text));
    if (denyIf) undecided.push({ effect: "deny", rule: listPointer([...base, "deny_if"], list), summary: `denied when ${denyIf}` });
  }

  let settled: { rule: string; reason: string } | null = null;
  for (const { rule, base } of sections) {
    const list = rule?.approval_if ?? [];
    const outcome = listOutcome(list, simplify);
    if (outcome === true) {
      settled = { rule: listPointer([...base, "approval_if"], list), reason: approvalIfReason(list, tool) };
      break;
    }
    if (outcome) undecided.push({ effect: "require_approval", rule: listPointer([...base, "approval_if"], list), summary: `needs approval when ${outcome}` });
  }
  // No undecided part: the engine's own answer for a call without arguments, with its exact rule and reason.
  if (undecided.length === 0) return fromEvaluation(policy, tool, grant);
  const otherwise = settled ? "require_approval" : action;
  // Undecided approval_if parts on a tool that needs approval anyway cannot change the outcome.
  if (undecided.every((part) => part.effect === otherwise)) {
    const held = settled ?? { rule: actionRule, reason: toolRule ? `${tool} requires approval` : `${tool} is not listed in the policy and the default is require_approval` };
    return withExtras(policy, toolRule, fixed("require_approval", held.rule, held.reason));
  }
  return withExtras(policy, toolRule, { ...fixed("conditional", actionRule, null), conditions: undecided, otherwise });
}

/** Every condition is decided (or cannot change the outcome): the engine's own answer for a call without arguments. */
function fromEvaluation(policy: CompiledPolicy, tool: string, grant: GrantFacts | null): ToolOutcome {
  const decision = evaluate(policy, { tool, args: {}, grant: grant ?? { name: "" }, session: { id: "" } }, NO_TIME);
  return withExtras(policy, findToolRule(policy, tool), fixed(decision.kind, decision.rule, decision.reason));
}

function fixed(decision: EffectiveKind, rule: string | null, reason: string | null): ToolOutcome {
  return { decision, rule, reason, conditions: [], otherwise: null, approval: null, limits: [] };
}

function withExtras(policy: CompiledPolicy, toolRule: ReturnType<typeof findToolRule>, outcome: ToolOutcome): ToolOutcome {
  if (outcome.decision === "deny" || outcome.decision === "hide") return outcome;
  const limits = [
    ...resolveLimits(policy.document.all_tools?.limits, ["all_tools"]),
    ...(toolRule ? resolveLimits(toolRule.rule.limits, ["tools", toolRule.key]) : []),
  ];
  const mayNeedApproval =
    outcome.decision === "require_approval" ||
    outcome.otherwise === "require_approval" ||
    outcome.conditions.some((part) => part.effect === "require_approval");
  let approval: EffectiveApproval | null = null;
  if (mayNeedApproval) {
    const { expiresAt: _expiresAt, ...settings } = resolveApproval(toolRule, NO_TIME);
    approval = settings;
  }
  return { ...outcome, limits, approval };
}

/**
 * A deny_if / approval_if list (all items must hold): true when it fires for every call, null when it
 * never fires, else the undecided items in words.
 */
function listOutcome(list: Condition[], simplify: (condition: Condition) => Residual): true | string | null {
  if (list.length === 0) return null;
  const residuals = list.map(simplify);
  if (residuals.includes(false)) return null;
  const open = residuals.filter((residual): residual is Condition => residual !== true);
  return open.length === 0 ? true : open.map(describeCondition).join(" and ");
}

/** The condition with every grant.* test replaced by its value for this grant, simplified. */
export function residualOf(condition: Condition, grant: GrantFacts | null, regexes: ReadonlyMap<string, RegExp>): Residual {
  if ("any" in condition) {
    const parts = condition.any.map((inner) => residualOf(inner, grant, regexes));
    if (parts.includes(true)) return true;
    const open = parts.filter((part): part is Condition => part !== false);
    return open.length === 0 ? false : open.length === 1 ? open[0]! : { any: open };
  }
  if ("all" in condition) {
    const parts = condition.all.map((inner) => residualOf(inner, grant, regexes));
    if (parts.includes(false)) return false;
    const open = parts.filter((part): part is Condition => part !== true);
    return open.length === 0 ? true : open.length === 1 ? open[0]! : { all: open };
  }
  if ("not" in condition) {
    const inner = residualOf(condition.not, grant, regexes);
    return typeof inner === "boolean" ? !inner : { not: inner };
  }
  if (grant === null || !condition.path.startsWith("grant.")) return condition;
  return conditionHolds(condition, { tool: "", args: {}, grant, session: { id: "" } }, regexes);
}

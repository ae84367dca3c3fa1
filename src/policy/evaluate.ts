// The pure core: (policy, call, now) → Decision. No I/O, no counters; quota is reserved by the caller
// from `limits`. Every decision names the rule that fired as a JSON Pointer into the policy.
import type { CompiledPolicy, CompiledToolRule } from "./compile.ts";
import { findHidePattern, findToolRule } from "./compile.ts";
import type { CallFacts } from "./conditions.ts";
import { conditionHolds, describeCondition, describeRequirement, everyConditionHolds, readsOnlyGrant } from "./conditions.ts";
import { toJsonPointer } from "./issues.ts";
import type { Approval, Condition, Limit, LimitScope, LimitWindow } from "./schema.ts";
import { ApprovalSchema } from "./schema.ts";

export type { CallFacts };

export interface ResolvedLimit {
  counter: string;
  window: LimitWindow;
  windowMs: number;
  max: number;
  scope: LimitScope;
  /** JSON Pointer of the limit, e.g. /all_tools/limits/0 */
  rule: string;
}

export interface ResolvedApprovalSpec {
  channel: string | null;
  approvers: string[];
  minApprovals: number;
  timeout: string;
  timeoutMs: number;
  expiresAt: Date;
  onTimeout: "deny";
  allowSelfApproval: boolean;
  wait: "hold" | "ticket";
  /** JSON Pointer of the approval block, null when the defaults apply. */
  rule: string | null;
}

export type Decision =
  | { kind: "allow"; rule: string | null; reason: string; limits: ResolvedLimit[] }
  | { kind: "deny"; rule: string | null; reason: string }
  | { kind: "hide"; rule: string | null; reason: string }
  | { kind: "require_approval"; rule: string | null; reason: string; limits: ResolvedLimit[]; approval: ResolvedApprovalSpec };

export const WINDOW_MS: Readonly<Record<LimitWindow, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

const DEFAULT_APPROVAL: Approval = ApprovalSchema.parse({});

export function evaluate(policy: CompiledPolicy, call: CallFacts, now: Date): Decision {
  const { document, regexes } = policy;
  const hidden = findHidePattern(policy, call.tool);
  if (hidden) return { kind: "hide", rule: hidden.pointer, reason: `${call.tool} is hidden by policy` };

  const tool = findToolRule(policy, call.tool);
  const action = tool ? (tool.rule.action ?? "allow") : document.default;
  const actionRule = tool ? tool.pointer : "/default";
  // An unconditional deny is decided first: no argument can change it, and its reason is the useful one.
  if (action === "deny") {
    const reason = tool
      ? (tool.rule.reason ?? tool.rule.on_deny ?? `${call.tool} is denied by policy`)
      : `${call.tool} is not listed in the policy and the default is deny`;
    return { kind: "deny", rule: actionRule, reason };
  }

  const toolText = tool?.rule.reason ?? tool?.rule.on_deny;
  const sections = [
    { rule: document.all_tools, base: ["all_tools"], fallback: undefined },
    { rule: tool?.rule, base: tool ? ["tools", tool.key] : [], fallback: toolText },
  ];
  for (const { rule, base, fallback } of sections) {
    const failed = (rule?.require ?? []).findIndex((condition) => !conditionHolds(condition, call, regexes));
    const condition = rule?.require?.[failed];
    if (condition) {
      return { kind: "deny", rule: toJsonPointer([...base, "require", failed]), reason: requireFailureReason(condition, fallback) };
    }
    const denyIf = firing(rule?.deny_if, call, regexes);
    if (denyIf) {
      return { kind: "deny", rule: listPointer([...base, "deny_if"], denyIf), reason: denyIfReason(denyIf, call.tool, fallback) };
    }
  }

  const limits = [
    ...resolveLimits(document.all_tools?.limits, ["all_tools"]),
    ...(tool ? resolveLimits(tool.rule.limits, ["tools", tool.key]) : []),
  ];
  for (const { rule, base } of sections) {
    const approvalIf = firing(rule?.approval_if, call, regexes);
    if (approvalIf) {
      const reason = approvalIfReason(approvalIf, call.tool);
      const pointer = listPointer([...base, "approval_if"], approvalIf);
      return { kind: "require_approval", rule: pointer, reason, limits, approval: resolveApproval(tool, now) };
    }
  }
  if (action === "require_approval") {
    const reason = tool ? `${call.tool} requires approval` : `${call.tool} is not listed in the policy and the default is require_approval`;
    return { kind: "require_approval", rule: actionRule, reason, limits, approval: resolveApproval(tool, now) };
  }
  const reason = tool ? `${call.tool} is allowed by ${actionRule}` : `${call.tool} is allowed by the policy default`;
  return { kind: "allow", rule: actionRule, reason, limits };
}

/**
 * Whether a tool belongs in this grant's tools/list: false when it is hidden or the grant could never
 * call it (an unconditional deny, or a requirement on grant.* facts that this grant fails).
 */
export function isListed(policy: CompiledPolicy, toolName: string, grant: CallFacts["grant"]): boolean {
  if (findHidePattern(policy, toolName)) return false;
  const tool = findToolRule(policy, toolName);
  const action = tool ? (tool.rule.action ?? "allow") : policy.document.default;
  if (action === "deny") return false;
  const facts: CallFacts = { tool: toolName, args: {}, grant, session: { id: "" } };
  for (const rule of [policy.document.all_tools, tool?.rule]) {
    const grantRequirements = (rule?.require ?? []).filter(readsOnlyGrant);
    if (!everyConditionHolds(grantRequirements, facts, policy.regexes)) return false;
    const denyIf = rule?.deny_if ?? [];
    if (denyIf.length > 0 && denyIf.every(readsOnlyGrant) && everyConditionHolds(denyIf, facts, policy.regexes)) return false;
  }
  return true;
}

/** The decision for a call to an upstream that has no valid policy loaded: fail closed. */
export function denyWithoutPolicy(tool: string): Decision {
  return { kind: "deny", rule: null, reason: `No valid policy is loaded, so ${tool} is denied` };
}

export function durationToMs(duration: string): number {
  const unit = duration.at(-1) as "s" | "m" | "h" | "d";
  const scale = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
  return Number.parseInt(duration.slice(0, -1), 10) * scale;
}

/** deny_if / approval_if lists fire when every item holds; an empty list never fires. */
function firing(list: Condition[] | undefined, call: CallFacts, regexes: ReadonlyMap<string, RegExp>): Condition[] | null {
  if (!list || list.length === 0) return null;
  return everyConditionHolds(list, call, regexes) ? list : null;
}

/** The reason a failed `require` item gives: its message, else the tool's text, else a sentence. */
export function requireFailureReason(condition: Condition, fallback: string | undefined): string {
  return messageOf(condition) ?? fallback ?? describeRequirement(condition);
}

export function denyIfReason(list: Condition[], tool: string, fallback: string | undefined): string {
  return firstMessage(list) ?? fallback ?? `${tool} is denied when ${describeList(list)}`;
}

export function approvalIfReason(list: Condition[], tool: string): string {
  return firstMessage(list) ?? `${tool} needs approval when ${describeList(list)}`;
}

/** The pointer a firing list is reported under: its only item, or the whole list. */
export function listPointer(base: Array<string | number>, list: readonly unknown[]): string {
  return toJsonPointer(list.length === 1 ? [...base, 0] : base);
}

function messageOf(condition: Condition): string | undefined {
  return "path" in condition ? condition.message : undefined;
}

function firstMessage(list: Condition[]): string | undefined {
  return list.map(messageOf).find((message) => message !== undefined);
}

function describeList(list: Condition[]): string {
  return list.map(describeCondition).join(" and ");
}

export function resolveLimits(limits: Limit[] | undefined, base: string[]): ResolvedLimit[] {
  return (limits ?? []).map((limit, index) => ({
    counter: limit.counter,
    window: limit.window,
    windowMs: WINDOW_MS[limit.window],
    max: limit.max,
    scope: limit.scope,
    rule: toJsonPointer([...base, "limits", index]),
  }));
}

export function resolveApproval(tool: CompiledToolRule | null, now: Date): ResolvedApprovalSpec {
  const approval = tool?.rule.approval ?? DEFAULT_APPROVAL;
  const timeoutMs = durationToMs(approval.timeout);
  return {
    channel: approval.channel ?? null,
    approvers: [...approval.approvers],
    minApprovals: approval.min_approvals,
    timeout: approval.timeout,
    timeoutMs,
    expiresAt: new Date(now.getTime() + timeoutMs),
    onTimeout: approval.on_timeout,
    allowSelfApproval: approval.allow_self_approval,
    wait: approval.wait,
    rule: tool?.rule.approval ? `${tool.pointer}/approval` : null,
  };
}

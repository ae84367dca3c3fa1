// Public surface of the policy engine: schema, load + hot reload, pure evaluation, explain, starter.
export type { AccessDecision, AccessKind } from "./access.ts";
export { decidePrompt, decideResource } from "./access.ts";
export type { CompiledHidePattern, CompiledPolicy, CompiledToolRule } from "./compile.ts";
export { findHidePattern, findToolRule } from "./compile.ts";
export type { CallFacts } from "./conditions.ts";
export type { Decision, ResolvedApprovalSpec, ResolvedLimit } from "./evaluate.ts";
export { WINDOW_MS, denyWithoutPolicy, durationToMs, evaluate, isListed } from "./evaluate.ts";
export type { EffectiveApproval, EffectiveCondition, EffectiveDecision, EffectiveKind } from "./effective.ts";
export { effectiveDecisions } from "./effective.ts";
export type { DecisionExplanation } from "./explain.ts";
export { explainDecision, formatDecisionText } from "./explain.ts";
export type { PolicyIssue } from "./issues.ts";
export { formatPolicyIssue, toJsonPointer } from "./issues.ts";
export { locateJsonPointer } from "./json-position.ts";
export type { PolicyLoadResult } from "./load.ts";
export { loadPolicyFile, parsePolicy } from "./load.ts";
export type {
  AccessAction,
  AccessRule,
  AllToolsRule,
  Approval,
  Condition,
  ConditionOp,
  LeafCondition,
  Limit,
  LimitScope,
  LimitWindow,
  Policy,
  PolicyAction,
  PolicyDocument,
  ToolRule,
} from "./schema.ts";
export {
  ACCESS_ACTIONS,
  CONDITION_OPS,
  LIMIT_SCOPES,
  LIMIT_WINDOWS,
  POLICY_ACTIONS,
  PolicySchema,
  buildPolicyJsonSchema,
  renderPolicyJsonSchema,
} from "./schema.ts";
export type { UpstreamTool } from "./starter.ts";
export { DEFAULT_SCHEMA_REFERENCE, checkToolCoverage, createStarterPolicy } from "./starter.ts";
export type { PolicyHolder, PolicyHolderEvent, PolicyHolderOptions } from "./watch.ts";
export { createPolicyHolder } from "./watch.ts";

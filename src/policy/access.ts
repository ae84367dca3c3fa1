// Resources and prompts: no arguments to test and nothing to hold or count, so a decision is allow,
// deny or hide, from the most specific key under `resources` / `prompts` or else from `default`. Pure.
import type { CompiledAccessRules, CompiledPolicy } from "./compile.ts";
import { findAccessRule } from "./compile.ts";

export type AccessKind = "resource" | "prompt";

export interface AccessDecision {
  kind: "allow" | "deny" | "hide";
  /** JSON Pointer of the key that decided, or /default. */
  rule: string;
  reason: string;
}

/** The decision for a resource URI (or a URI template), in the upstream's own form. */
export function decideResource(policy: CompiledPolicy, uri: string): AccessDecision {
  return decideAccess(policy, policy.resources, "resource", uri);
}

/** The decision for a prompt, by the upstream's own name. */
export function decidePrompt(policy: CompiledPolicy, name: string): AccessDecision {
  return decideAccess(policy, policy.prompts, "prompt", name);
}

function decideAccess(policy: CompiledPolicy, rules: CompiledAccessRules, kind: AccessKind, name: string): AccessDecision {
  const found = findAccessRule(rules, name);
  if (found) {
    const action = found.rule.action ?? "allow";
    if (action === "allow") return { kind: "allow", rule: found.pointer, reason: `${kind} ${name} is allowed by ${found.pointer}` };
    if (action === "hide") return { kind: "hide", rule: found.pointer, reason: `${kind} ${name} is hidden by policy` };
    return { kind: "deny", rule: found.pointer, reason: found.rule.reason ?? `${kind} ${name} is denied by policy` };
  }
  const fallback = policy.document.default;
  if (fallback === "allow") return { kind: "allow", rule: "/default", reason: `${kind} ${name} is allowed by the policy default` };
  // A read cannot be held for review, so a require_approval default denies what no key allows.
  const why = fallback === "deny" ? "the default is deny" : "the default require_approval applies to tool calls only";
  return { kind: "deny", rule: "/default", reason: `${kind} ${name} is not listed in the policy and ${why}` };
}

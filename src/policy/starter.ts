// `gatehouse policy init`: a first policy written from the upstream's tool list and its MCP hints,
// plus the check that a policy's keys still name tools the upstream actually has.
import type { CompiledPolicy } from "./compile.ts";
import { matchesToolPattern } from "./match.ts";
import type { Policy, PolicyAction, ToolRule } from "./schema.ts";

export interface UpstreamTool {
  name: string;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

export const DEFAULT_SCHEMA_REFERENCE = "../schemas/policy.schema.json";

/**
 * Read-only tools are allowed, destructive ones need approval, the rest get `defaultAction`; every tool
 * is listed so the file is edited, not written. readOnlyHint wins because MCP only defines
 * destructiveHint for tools that are not read-only.
 */
export function createStarterPolicy(
  tools: readonly UpstreamTool[],
  defaultAction: PolicyAction,
  options: { schema?: string } = {},
): Omit<Policy, "resources" | "prompts"> {
  const entries = [...tools]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((tool): [string, ToolRule] => [tool.name, starterRule(tool, defaultAction)]);
  return {
    $schema: options.schema ?? DEFAULT_SCHEMA_REFERENCE,
    version: "1",
    default: defaultAction,
    hide: [],
    tools: Object.fromEntries(entries),
  };
}

function starterRule(tool: UpstreamTool, defaultAction: PolicyAction): ToolRule {
  if (tool.annotations?.readOnlyHint === true) return {};
  if (tool.annotations?.destructiveHint === true) return { action: "require_approval" };
  return defaultAction === "allow" ? {} : { action: defaultAction };
}

/**
 * Warnings for tool keys and hide patterns that match none of the upstream's tools (typos, renamed
 * tools). Each starts with the JSON pointer; the caller adds the file and upstream it checked.
 */
export function checkToolCoverage(policy: CompiledPolicy, toolNames: readonly string[]): string[] {
  const rules = [...policy.exactRules.values(), ...policy.globRules];
  const unmatchedRules = rules
    .filter((entry) => !toolNames.some((name) => matchesToolPattern(entry.pattern, name)))
    .map((entry) => `${entry.pointer}: "${entry.key}" matches no tool of the upstream`);
  const unmatchedHides = policy.hidden
    .filter((entry) => !toolNames.some((name) => matchesToolPattern(entry.pattern, name)))
    .map((entry) => `${entry.pointer}: "${entry.pattern.pattern}" hides no tool of the upstream`);
  return [...unmatchedRules, ...unmatchedHides];
}

// A candidate policy replayed over the upstream's recent audited calls: what the policy in force and
// the candidate decide for each, and which decisions change. Calls are evaluated on the facts the audit
// kept: the REDACTED arguments (a condition on a redacted value sees "[REDACTED]", not the secret), the
// grant's owner and labels as they are now, and the session. Rate limits are not simulated.
import { desc, eq } from "drizzle-orm";
import { fromStorableJson, REDACTED } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { grants, toolCalls } from "../db/index.ts";
import type { CallFacts, CompiledPolicy, Condition, Decision } from "../policy/index.ts";
import { denyWithoutPolicy, evaluate, findToolRule } from "../policy/index.ts";

export interface DryRunDecision {
  decision: Decision["kind"];
  rule: string | null;
  reason: string;
}

export interface DryRunCall {
  callId: string;
  /** When the call was made (ISO 8601). */
  at: string;
  grant: string;
  tool: string;
  sessionId: string;
  /** What the gateway decided at the time (also "rate_limited" or "error"). */
  recorded: { decision: string; rule: string | null };
  before: DryRunDecision;
  after: DryRunDecision;
  /** A condition of either policy reads an argument that was stored redacted, so the real call may differ. */
  readsRedactedArgument: boolean;
}

export interface DryRunReport {
  upstream: string;
  /** Calls replayed (at most `limit`, newest first). */
  checked: number;
  limit: number;
  /** Calls whose decision (allow, deny, hide, require_approval) differs, newest first. */
  changed: DryRunCall[];
  /** Per decision: how many of the checked calls get it from the policy in force and from the candidate. */
  totals: { before: Record<string, number>; after: Record<string, number> };
  /** Checked calls (changed or not) whose decision reads a redacted argument. */
  readingRedacted: number;
  notes: string[];
}

export const DRY_RUN_NOTES = [
  "Arguments are evaluated as the audit stored them: secret values are redacted, and a condition on a redacted value sees \"[REDACTED]\".",
  "Grant owner and labels are the grant's current ones.",
  "Rate limits are not simulated: a call the candidate allows may still be refused for its quota.",
];

export async function dryRunPolicy(
  database: Database,
  input: { upstream: string; current: CompiledPolicy | null; candidate: CompiledPolicy; limit: number },
): Promise<DryRunReport> {
  const rows = await database.db
    .select({ call: toolCalls, owner: grants.owner, labels: grants.labels })
    .from(toolCalls)
    .leftJoin(grants, eq(grants.name, toolCalls.grantName))
    .where(eq(toolCalls.upstream, input.upstream))
    .orderBy(desc(toolCalls.createdAt), desc(toolCalls.id))
    .limit(input.limit);
  const totals = { before: {} as Record<string, number>, after: {} as Record<string, number> };
  const changed: DryRunCall[] = [];
  let readingRedacted = 0;
  for (const { call, owner, labels } of rows) {
    const args = fromStorableJson(call.argsRedacted);
    const facts: CallFacts = {
      tool: call.tool,
      args: isRecord(args) ? args : {},
      grant: { name: call.grantName, owner, labels: labels ?? {} },
      session: { id: call.sessionId },
    };
    const before = input.current ? evaluate(input.current, facts, call.createdAt) : denyWithoutPolicy(call.tool);
    const after = evaluate(input.candidate, facts, call.createdAt);
    totals.before[before.kind] = (totals.before[before.kind] ?? 0) + 1;
    totals.after[after.kind] = (totals.after[after.kind] ?? 0) + 1;
    const redacted = redactedPaths(facts.args);
    const readsRedactedArgument =
      redacted.length > 0 && [input.current, input.candidate].some((policy) => policy !== null && readsAny(policy, call.tool, redacted));
    if (readsRedactedArgument) readingRedacted += 1;
    if (before.kind === after.kind) continue;
    changed.push({
      callId: call.id,
      at: call.createdAt.toISOString(),
      grant: call.grantName,
      tool: call.tool,
      sessionId: call.sessionId,
      recorded: { decision: call.decision, rule: call.rule },
      before: summary(before),
      after: summary(after),
      readsRedactedArgument,
    });
  }
  return { upstream: input.upstream, checked: rows.length, limit: input.limit, changed, totals, readingRedacted, notes: DRY_RUN_NOTES };
}

function summary(decision: Decision): DryRunDecision {
  return { decision: decision.kind, rule: decision.rule, reason: decision.reason };
}

/** Dotted argument paths whose value is, or contains, a redacted string. */
function redactedPaths(value: unknown, prefix = ""): string[] {
  if (typeof value === "string") return value.includes(REDACTED) ? [prefix] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => redactedPaths(item, join(prefix, String(index))));
  if (isRecord(value)) return Object.entries(value).flatMap(([key, item]) => redactedPaths(item, join(prefix, key)));
  return [];
}

/** Whether a condition that can decide this tool's calls reads one of these argument paths (or a part of one). */
function readsAny(policy: CompiledPolicy, tool: string, paths: string[]): boolean {
  const rule = findToolRule(policy, tool)?.rule;
  const lists = [policy.document.all_tools, rule].flatMap((section) => [section?.require, section?.deny_if, section?.approval_if]);
  const read = lists.flatMap((list) => list ?? []).flatMap(argumentPaths);
  return read.some((path) => paths.some((redacted) => path === redacted || redacted.startsWith(`${path}.`) || path.startsWith(`${redacted}.`)));
}

function argumentPaths(condition: Condition): string[] {
  if ("any" in condition) return condition.any.flatMap(argumentPaths);
  if ("all" in condition) return condition.all.flatMap(argumentPaths);
  if ("not" in condition) return argumentPaths(condition.not);
  return condition.path.startsWith("args.") ? [condition.path.slice("args.".length)] : [];
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

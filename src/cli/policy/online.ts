// The policy commands that work on the running gateway's policies, over the admin API. `validate` falls
// back to checking the file on its own (local.ts) when no gateway runs.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { shortTime } from "../../audit/format.ts";
// Types only: the API answers with the policy layer's own shapes, none of which is loaded here.
import type { DryRunCall, DryRunReport, EffectiveReport, PolicyDiffSummary, PolicyProblem, PolicyStatus, PolicyVersion, SaveResult, ValidationReport } from "../../policies/index.ts";
import type { EffectiveDecision } from "../../policy/index.ts";
import type { GatewayClient } from "../gateway-client.ts";
import { formatRows, print, type Column } from "../output.ts";
import { findGateway, requireGateway } from "../target.ts";
import { CommandFailed, type ListFormat, type GlobalOptions } from "../usage.ts";

const STATUS_COLUMNS: Column<PolicyStatus>[] = [
  { name: "upstream", value: (p) => p.upstream },
  { name: "version", value: (p) => p.version },
  { name: "loaded", value: (p) => p.isLoaded },
  { name: "current", value: (p) => p.isCurrent },
  { name: "file", value: (p) => p.file },
  { name: "errors", value: (p) => p.errors?.join("; ") },
];

const VERSION_COLUMNS: Column<PolicyVersion>[] = [
  { name: "version", value: (v) => v.version },
  { name: "created_at", value: (v) => shortTime(v.createdAt) },
  { name: "source", value: (v) => v.source },
  { name: "created_by", value: (v) => v.createdBy },
  { name: "restored_from", value: (v) => v.restoredFrom },
  { name: "comment", value: (v) => v.comment },
  { name: "sha256", value: (v) => v.sha256.slice(0, 12) },
];

const CHANGED_COLUMNS: Column<DryRunCall>[] = [
  { name: "call_id", value: (c) => c.callId },
  { name: "at", value: (c) => shortTime(c.at) },
  { name: "grant", value: (c) => c.grant },
  { name: "tool", value: (c) => c.tool },
  { name: "before", value: (c) => c.before.decision },
  { name: "after", value: (c) => c.after.decision },
  { name: "after_rule", value: (c) => c.after.rule },
  { name: "reads_redacted", value: (c) => c.readsRedactedArgument },
];

const EFFECTIVE_COLUMNS: Column<EffectiveDecision>[] = [
  { name: "tool", value: (t) => t.tool },
  { name: "decision", value: (t) => t.decision },
  { name: "rule", value: (t) => t.rule },
  { name: "listed", value: (t) => t.isListed },
  { name: "offered", value: (t) => t.isOffered },
  { name: "approvals", value: (t) => t.approval && `${t.approval.minApprovals} from ${t.approval.approvers.join(" ") || "anyone"}` },
  { name: "detail", value: (t) => (t.decision === "conditional" ? `${t.conditions.map((c) => c.summary).join("; ")}; otherwise ${t.otherwise}` : t.reason) },
];

export async function listPolicies(options: { format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const { policies } = await gateway.get<{ policies: PolicyStatus[] }>("/policies");
  print(formatRows(policies, STATUS_COLUMNS, options.format, "No upstreams, so no policies."));
}

export async function showPolicy(upstream: string, version: number | undefined, options: { format: "text" | "json" }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const shown = await gateway.get<{ content: string | null }>(version === undefined ? path(upstream) : path(upstream, `/versions/${version}`));
  if (options.format === "json") return print(JSON.stringify(shown, null, 2));
  if (shown.content === null) throw new CommandFailed(`the policy file of "${upstream}" cannot be read on the gateway`);
  process.stdout.write(shown.content);
}

export async function validatePolicy(file: string, options: { upstream?: string }, globals: GlobalOptions): Promise<void> {
  const gateway = await findGateway(globals, "operate");
  if (!gateway) return (await import("./local.ts")).checkPolicyFile(file, globals);
  const upstream = options.upstream ?? (await upstreamOfFile(gateway, file));
  const report = await gateway.send<ValidationReport>("POST", path(upstream, "/validate"), { content: await readCandidate(file) });
  for (const issue of report.issues) process.stderr.write(`error: ${describeProblem(file, issue)}\n`);
  for (const warning of report.warnings) process.stderr.write(`warning: ${describeProblem(file, warning)}\n`);
  if (!report.ok) throw new CommandFailed(`${file} is not a valid policy for "${upstream}" (${report.issues.length} problem(s))`);
  print(`${file}: valid for "${upstream}"${report.warnings.length ? ` (${report.warnings.length} warning(s))` : ""}`);
}

export async function diffPolicy(upstream: string, file: string, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const answer = await gateway.send<{ fromVersion: number | null; diff: string; summary: PolicyDiffSummary | null }>(
    "POST",
    path(upstream, "/diff"),
    { content: await readCandidate(file) },
  );
  const from = answer.fromVersion === null ? "the file on the gateway" : `version ${answer.fromVersion}`;
  const summary = answer.summary;
  const changes = summary ? Object.entries(summary).filter(([, names]) => names.length > 0) : [];
  if (summary && changes.length === 0) return print(`No changes against ${from}.`);
  process.stdout.write(answer.diff);
  for (const [kind, names] of changes) print(`${kind}: ${names.join(", ")}`);
}

export async function dryRunPolicy(upstream: string, file: string, options: { limit?: number; format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const report = await gateway.send<DryRunReport>("POST", path(upstream, "/dry-run"), { content: await readCandidate(file), ...(options.limit !== undefined && { limit: options.limit }) });
  if (options.format !== "table") return print(options.format === "json" ? JSON.stringify(report, null, 2) : formatRows(report.changed, CHANGED_COLUMNS, "csv", ""));
  print(`Replayed the last ${report.checked} audited call(s) of "${upstream}" (at most ${report.limit}): ${report.changed.length} decision(s) change.`);
  print(`  now:       ${totals(report.totals.before)}\n  candidate: ${totals(report.totals.after)}`);
  if (report.changed.length > 0) print(`\n${formatRows(report.changed, CHANGED_COLUMNS, "table", "")}`);
  for (const note of report.notes) print(`note: ${note}`);
}

export async function applyPolicy(upstream: string, file: string, options: { expectedVersion?: number; comment?: string }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const saved = await gateway.send<SaveResult>("PUT", path(upstream), { content: await readCandidate(file), ...options });
  printSaved(upstream, saved, saved.isUnchanged ? `unchanged: ${file} is already version ${saved.version.version}` : `saved ${file} as version ${saved.version.version}`);
}

export async function listVersions(upstream: string, options: { format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const { versions } = await gateway.get<{ versions: PolicyVersion[] }>(path(upstream, "/versions"));
  print(formatRows(versions, VERSION_COLUMNS, options.format, `No saved versions of "${upstream}" yet.`));
}

export async function rollbackPolicy(upstream: string, version: number, options: { expectedVersion?: number; comment?: string }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const saved = await gateway.send<SaveResult>("POST", path(upstream, "/rollback"), { version, ...options });
  printSaved(upstream, saved, `restored version ${version} as version ${saved.version.version}`);
}

export async function showEffective(upstream: string, options: { grant?: string; file?: string; format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const report = options.file
    ? await gateway.send<EffectiveReport>("POST", path(upstream, "/effective"), { content: await readCandidate(options.file), ...(options.grant !== undefined && { grant: options.grant }) })
    : await gateway.get<EffectiveReport>(path(upstream, "/effective"), { grant: options.grant });
  if (options.format === "json") return print(JSON.stringify(report, null, 2));
  print(formatRows(report.tools, EFFECTIVE_COLUMNS, options.format, `The policy of "${upstream}" names no tools and the upstream lists none.`));
  if (report.toolsError) process.stderr.write(`warning: the upstream's tools could not be listed (${report.toolsError}): only tools the policy names are shown\n`);
}

function printSaved(upstream: string, saved: SaveResult, what: string): void {
  for (const warning of saved.warnings) process.stderr.write(`warning: ${describeProblem(upstream, warning)}\n`);
  print(`Policy of "${upstream}": ${what}; ${saved.isLoaded ? "in force on the gateway now" : "NOT in force yet: the file changed again meanwhile"}.`);
}

/** The upstream whose policy file this is, or the only upstream there is. */
async function upstreamOfFile(gateway: GatewayClient, file: string): Promise<string> {
  const { policies } = await gateway.get<{ policies: PolicyStatus[] }>("/policies");
  const match = policies.find((p) => p.file === resolve(file)) ?? (policies.length === 1 ? policies[0] : undefined);
  if (!match) throw new CommandFailed(`which upstream is ${file} for? Pass --upstream (have: ${policies.map((p) => p.upstream).join(", ")})`);
  return match.upstream;
}

async function readCandidate(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new CommandFailed(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function path(upstream: string, rest = ""): string {
  return `/policies/${encodeURIComponent(upstream)}${rest}`;
}

function describeProblem(where: string, problem: PolicyProblem): string {
  const at = problem.line ? ` (line ${problem.line}, column ${problem.column ?? 1})` : "";
  return `${where}: ${problem.path || "/"}: ${problem.message}${at}`;
}

function totals(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? "-" : entries.map(([decision, n]) => `${decision} ${n}`).join(", ");
}

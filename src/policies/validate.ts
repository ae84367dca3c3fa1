// What the editor shows before a save: every problem with its JSON Pointer (and line and column, so
// the editor can underline it), and warnings for things that load but cannot take effect, including
// tool keys and hide entries that name none of the upstream's real tools.
import type { CompiledPolicy, PolicyIssue } from "../policy/index.ts";
import { checkToolCoverage, locateJsonPointer, parsePolicy } from "../policy/index.ts";

export interface PolicyProblem {
  /** JSON Pointer into the document ("" for the whole document). */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface ValidationReport {
  ok: boolean;
  issues: PolicyProblem[];
  warnings: PolicyProblem[];
}

/** The upstream's tool names, or why they could not be listed. */
export type ToolList = { ok: true; names: string[] } | { ok: false; reason: string };

export function validatePolicyText(text: string, file: string, tools: ToolList): { report: ValidationReport; policy: CompiledPolicy | null } {
  const result = parsePolicy(text, file);
  if (!result.ok) return { report: { ok: false, issues: result.errors.map((issue) => locate(issue, text)), warnings: [] }, policy: null };
  const coverage = tools.ok
    ? checkToolCoverage(result.policy, tools.names)
    : [`the upstream's tools could not be listed (${tools.reason}), so tool names were not checked`];
  const warnings = [...result.warnings.map((warning) => warning.slice(`${file}: `.length)), ...coverage].map(splitPointer);
  return { report: { ok: true, issues: [], warnings }, policy: result.policy };
}

function locate(issue: PolicyIssue, text: string): PolicyProblem {
  if (issue.line !== undefined) return { path: issue.path, message: issue.message, line: issue.line, column: issue.column };
  return { path: issue.path, message: issue.message, ...locateJsonPointer(text, issue.path) };
}

/** "/tools/x: message" → { path, message }; a sentence without a pointer is about the whole document. */
function splitPointer(warning: string): PolicyProblem {
  const match = /^(\/\S*): (.*)$/s.exec(warning);
  return match ? { path: match[1]!, message: match[2]! } : { path: "", message: warning };
}

// Parse at the edge, once: text → JSON → zod → compiled policy. Every failure is a value naming the
// file, the JSON pointer and the problem; nothing here throws for a bad or unreadable policy.
import { readFile } from "node:fs/promises";
import type { CompiledPolicy } from "./compile.ts";
import { compilePolicy } from "./compile.ts";
import type { PolicyIssue } from "./issues.ts";
import { missingFieldMessage, toPolicyIssues } from "./issues.ts";
import { locateJsonSyntaxError } from "./json-position.ts";
import { PolicySchema } from "./schema.ts";

export type PolicyLoadResult = { ok: true; policy: CompiledPolicy; warnings: string[] } | { ok: false; errors: PolicyIssue[] };

export function parsePolicy(text: string, source: string): PolicyLoadResult {
  const withoutBom = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let input: unknown;
  try {
    input = JSON.parse(withoutBom);
  } catch {
    const problem = locateJsonSyntaxError(withoutBom);
    return {
      ok: false,
      errors: [
        {
          file: source,
          path: "",
          message: `invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.message}`,
          line: problem.line,
          column: problem.column,
        },
      ],
    };
  }
  const parsed = PolicySchema.safeParse(input, { error: missingFieldMessage });
  if (!parsed.success) return { ok: false, errors: toPolicyIssues(parsed.error.issues, input, source) };
  return compilePolicy(parsed.data, source);
}

export async function loadPolicyFile(file: string): Promise<PolicyLoadResult> {
  const read = await readPolicyText(file);
  return read.ok ? parsePolicy(read.text, file) : { ok: false, errors: [read.issue] };
}

export async function readPolicyText(file: string): Promise<{ ok: true; text: string } | { ok: false; issue: PolicyIssue }> {
  try {
    return { ok: true, text: await readFile(file, "utf8") };
  } catch (error) {
    return { ok: false, issue: { file, path: "", message: `cannot read policy file: ${describeReadError(error)}` } };
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "file not found";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

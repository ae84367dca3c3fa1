// Turns zod issues into what a policy author needs: file, JSON pointer to the offending field, and a
// sentence. Union failures are narrowed to the branch the author evidently meant.
import type { z } from "zod";
import { CONDITION_BRANCHES } from "./schema.ts";

export interface PolicyIssue {
  file: string;
  /** JSON Pointer (RFC 6901) into the document, "" for the root. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

type ZodIssue = z.core.$ZodIssue;
type Segment = PropertyKey;

export function toJsonPointer(segments: readonly Segment[]): string {
  return segments.map((segment) => `/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

export function formatPolicyIssue(issue: PolicyIssue): string {
  return issue.path === "" ? `${issue.file}: ${issue.message}` : `${issue.file}: ${issue.path}: ${issue.message}`;
}

/** Per-parse error map: a missing field reads as such instead of "expected string, received undefined". */
export function missingFieldMessage(issue: { code: string; input?: unknown }): string | undefined {
  const isShapeIssue = issue.code === "invalid_type" || issue.code === "invalid_value";
  return isShapeIssue && issue.input === undefined ? "Missing required field" : undefined;
}

export function toPolicyIssues(issues: readonly ZodIssue[], input: unknown, file: string): PolicyIssue[] {
  return issues.flatMap((issue) => describeIssue(issue, [], input)).map(({ path, message }) => ({
    file,
    path: toJsonPointer(path),
    message,
  }));
}

interface Located {
  path: Segment[];
  message: string;
}

function describeIssue(issue: ZodIssue, base: Segment[], input: unknown): Located[] {
  const path = [...base, ...issue.path];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: [...path, key], message: unrecognizedKeyMessage(path, key) }));
    case "invalid_key":
      return [{ path, message: `Invalid key: ${issue.issues.map((inner) => inner.message).join("; ")}` }];
    case "invalid_union":
      return describeUnion(issue, path, input);
    default:
      return [{ path, message: issue.message }];
  }
}

/** Fields of a tool rule that mean nothing for a resource or prompt: said so, rather than "unrecognized". */
const TOOL_ONLY_FIELDS = new Set(["limits", "require", "deny_if", "approval_if", "approval", "on_deny"]);

function unrecognizedKeyMessage(path: readonly Segment[], key: string): string {
  const section = path.length === 2 ? path[0] : undefined;
  if ((section === "resources" || section === "prompts") && TOOL_ONLY_FIELDS.has(key)) {
    const what = section === "resources" ? "resource reads" : "prompt gets";
    return `"${key}" is not supported for ${section}: limits, conditions and approvals apply to tool calls only, ${what} are allowed, denied or hidden ("action", "reason")`;
  }
  return `Unrecognized key: "${key}"`;
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion, path: Segment[], input: unknown): Located[] {
  const value = valueAt(input, path);
  if (issue.discriminator !== undefined && issue.errors.length === 0 && "options" in issue) {
    if (value === undefined) return [{ path, message: "Missing required field" }];
    const options = (issue.options ?? []).map((option) => JSON.stringify(option)).join("|");
    return [{ path, message: `Invalid option: expected one of ${options}` }];
  }
  const branch = conditionBranch(value);
  const errors = branch === null ? undefined : issue.errors[branch];
  if (errors === undefined || errors.length === 0) {
    return [
      {
        path,
        message:
          'Expected a condition: {"path", "op", "value"?, "message"?}, or {"any": [...]}, {"all": [...]}, {"not": {...}}',
      },
    ];
  }
  return errors.flatMap((inner) => describeIssue(inner, path, input));
}

/** Which ConditionSchema branch an object was written for, judged by its keys. */
function conditionBranch(value: unknown): number | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  const wanted = keys.includes("path") || keys.includes("op") ? "leaf" : CONDITION_BRANCHES.find((b) => keys.includes(b));
  return wanted === undefined ? null : CONDITION_BRANCHES.indexOf(wanted);
}

function valueAt(input: unknown, path: readonly Segment[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

// The diff shown before a save: a unified diff of the texts, and which tools and top-level fields the
// candidate adds, removes or changes (null when either side is not a JSON object).
import { isDeepStrictEqual } from "node:util";
import { createTwoFilesPatch } from "diff";

export interface PolicyDiffSummary {
  toolsAdded: string[];
  toolsRemoved: string[];
  toolsChanged: string[];
  /** Top-level fields other than `tools` whose value differs (default, hide, all_tools, …). */
  fieldsChanged: string[];
}

export function diffPolicyTexts(
  file: string,
  before: { label: string; text: string },
  after: { label: string; text: string },
): { diff: string; summary: PolicyDiffSummary | null } {
  const diff = createTwoFilesPatch(file, file, before.text, after.text, before.label, after.label);
  const [old, candidate] = [asObject(before.text), asObject(after.text)];
  if (!old || !candidate) return { diff, summary: null };
  const [oldTools, newTools] = [asRecord(old.tools), asRecord(candidate.tools)];
  const fields = [...new Set([...Object.keys(old), ...Object.keys(candidate)])].filter((key) => key !== "tools");
  return {
    diff,
    summary: {
      toolsAdded: Object.keys(newTools).filter((key) => !Object.hasOwn(oldTools, key)).sort(),
      toolsRemoved: Object.keys(oldTools).filter((key) => !Object.hasOwn(newTools, key)).sort(),
      toolsChanged: Object.keys(newTools)
        .filter((key) => Object.hasOwn(oldTools, key) && !isDeepStrictEqual(oldTools[key], newTools[key]))
        .sort(),
      fieldsChanged: fields.filter((key) => !isDeepStrictEqual(old[key], candidate[key])).sort(),
    },
  };
}

function asObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

// Canonical JSON: the one byte form that hashes are taken over (the audit chain, argument hashes).
// Object keys sorted by UTF-16 code units, no whitespace, JSON.stringify's rules for everything else
// (toJSON, undefined keys dropped, non-finite numbers → null), so equal values always hash equally.
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  return write(value, new Set()) ?? "null";
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The JSON value PostgreSQL will store and give back unchanged: JSON semantics applied once, NUL and
 * lone surrogates (which `text`/`jsonb` refuse or rewrite) replaced by U+FFFD. Hash what this returns,
 * so a verifier reading the row recomputes the same bytes.
 */
export function toStorableJson(value: unknown): unknown {
  return sanitize(JSON.parse(canonicalJson(value)) as unknown);
}

export function toStorableText(text: string): string {
  return text.replace(UNSTORABLE, "\uFFFD");
}

// NUL, a high surrogate not followed by a low one, a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this pattern is for.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function sanitize(value: unknown): unknown {
  if (typeof value === "string") return toStorableText(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[toStorableText(key)] = sanitize(item);
  return out;
}

function write(value: unknown, seen: Set<object>): string | undefined {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError("canonicalJson: a bigint has no JSON form");
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) throw new TypeError("canonicalJson: circular structure");
  seen.add(object);
  try {
    if (Array.isArray(object)) return `[${object.map((item: unknown) => write(item, seen) ?? "null").join(",")}]`;
    const record = object as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const written = write(record[key], seen);
      if (written !== undefined) parts.push(`${JSON.stringify(key)}:${written}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(object);
  }
}

// Canonical JSON: the one byte form that hashes are taken over (the audit chain, argument hashes).
// Object keys sorted by UTF-16 code units, no whitespace, JSON.stringify's rules for everything else
// (toJSON, undefined keys dropped, non-finite numbers → null), so equal values always hash equally.
// Strings go through JSON.stringify, which writes NUL and unpaired surrogates as \u escapes, so such
// text hashes deterministically and never collides with U+FFFD or with the escape's own characters.
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  return write(value, new Set()) ?? "null";
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
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

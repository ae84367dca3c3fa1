// PostgreSQL `text` and `jsonb` refuse the NUL character and UTF-16 code units that are not part of a
// surrogate pair, yet both are valid in a JSON string an agent may send. Such text is stored escaped,
// reversibly: every string and object key goes through one rule, so no two values share a stored form.
//
//   NUL or an unpaired surrogate          → `\u` + four lowercase hex digits ("\u0000", "\ud800")
//   a `\` that begins `\u` + 4 hex digits → `\u005c` (so existing text is never read as an escape)
//   everything else                       → unchanged (text without those is stored as it is)
import { canonicalJson } from "./canonical.ts";

// NUL, a high surrogate not followed by a low one, a low surrogate not preceded by a high one, and a
// backslash that already reads as an escape.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this pattern is for.
const NEEDS_ESCAPE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\\(?=u[0-9a-fA-F]{4})/g;
// eslint-disable-next-line no-control-regex -- as above, without the backslash case.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ESCAPE = /\\u([0-9a-fA-F]{4})/g;

/** Text PostgreSQL stores unchanged; `fromStorableText` gives the original back. */
export function toStorableText(text: string): string {
  return text.replace(NEEDS_ESCAPE, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function fromStorableText(text: string): string {
  return text.replace(ESCAPE, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** True when PostgreSQL would refuse this text (a NUL or an unpaired surrogate). */
export function isUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * The JSON value PostgreSQL stores and gives back unchanged: JSON semantics applied once (undefined keys
 * dropped, toJSON called, non-finite numbers → null), then every string and key escaped by the rule above.
 * Hash what this returns when the hash is over stored data (the audit chain); hash the caller's original
 * value when the hash must identify it (argsHash).
 */
export function toStorableJson(value: unknown): unknown {
  return mapText(JSON.parse(canonicalJson(value)) as unknown, toStorableText);
}

/** The inverse of `toStorableJson` on a JSON value read back from the database. */
export function fromStorableJson(value: unknown): unknown {
  return mapText(value, fromStorableText);
}

/** True when some string or key in this JSON value would be refused by PostgreSQL as it is. */
export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === "string") return isUnstorableText(value);
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([key, item]) => isUnstorableText(key) || hasUnstorableText(item));
}

function mapText(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item: unknown) => mapText(item, map));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  // defineProperty: a "__proto__" key stays a key instead of replacing the prototype.
  for (const [key, item] of Object.entries(value)) Object.defineProperty(out, map(key), { value: mapText(item, map), enumerable: true, writable: true, configurable: true });
  return out;
}

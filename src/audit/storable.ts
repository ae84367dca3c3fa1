// PostgreSQL `text` and `jsonb` refuse the NUL character and UTF-16 code units that are not part of a
// surrogate pair, yet both are valid in a JSON string an agent may send. Such text is stored escaped,
// reversibly: every string and object key goes through one rule, so no two values share a stored form.
//
//   NUL or an unpaired surrogate          → `\u` + four lowercase hex digits ("\u0000", "\ud800")
//   a `\` that begins `\u` + 4 hex digits → `\u005c` (so existing text is never read as an escape)
//   everything else                       → unchanged (text without those is stored as it is)
import { enterObject, jsonValueOf } from "./canonical.ts";

// NUL, a high surrogate not followed by a low one, a low surrogate not preceded by a high one, and a
// backslash that already reads as an escape.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this pattern is for.
const NEEDS_ESCAPE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\\(?=u[0-9a-fA-F]{4})/g;
// eslint-disable-next-line no-control-regex -- as above, without the backslash case.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Cheaper to scan for than NEEDS_ESCAPE (no lookaround): most text has none of these characters at all.
// eslint-disable-next-line no-control-regex -- as above.
const MAY_NEED_ESCAPE = /[\u0000\uD800-\uDFFF\\]/;
const ESCAPE = /\\u([0-9a-fA-F]{4})/g;

/** Text PostgreSQL stores unchanged; `fromStorableText` gives the original back. */
export function toStorableText(text: string): string {
  if (!MAY_NEED_ESCAPE.test(text)) return text;
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
  return storable(value, []) ?? null;
}

// One walk with JSON.stringify's rules (what JSON.parse(canonicalJson(value)) gives, keys in the same
// sorted order), escaping text as it goes; undefined where JSON writes nothing.
function storable(input: unknown, ancestors: object[]): unknown {
  const value = jsonValueOf(input);
  switch (typeof value) {
    case "string":
      return toStorableText(value);
    case "number":
      // JSON has no -0 (it writes 0) and no non-finite numbers (null).
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case "boolean":
      return value;
    case "bigint":
      throw new TypeError("toStorableJson: a bigint has no JSON form");
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  enterObject(ancestors, object, "toStorableJson");
  let out: unknown;
  if (Array.isArray(object)) {
    const items: unknown[] = new Array(object.length);
    for (let i = 0; i < object.length; i++) items[i] = storable(object[i], ancestors) ?? null;
    out = items;
  } else {
    const record = object as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      const item = storable(record[key], ancestors);
      if (item === undefined) continue;
      const storedKey = toStorableText(key);
      // defineProperty only for "__proto__", which would replace the prototype if assigned.
      if (storedKey === "__proto__") Object.defineProperty(fields, storedKey, { value: item, enumerable: true, writable: true, configurable: true });
      else fields[storedKey] = item;
    }
    out = fields;
  }
  ancestors.pop();
  return out;
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

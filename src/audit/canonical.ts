// Canonical JSON: the one byte form that hashes are taken over (the audit chain, argument hashes).
// Object keys sorted by UTF-16 code units, no whitespace, JSON.stringify's rules for everything else
// (toJSON, undefined keys dropped, non-finite numbers → null), so equal values always hash equally.
// Strings go through JSON.stringify, which writes NUL and unpaired surrogates as \u escapes, so such
// text hashes deterministically and never collides with U+FFFD or with the escape's own characters.
//
// Every audited call goes through here several times, so the writer builds one string as it walks
// instead of arrays of parts, and looks for cycles only once the nesting is deep (a cycle nests for ever).
import * as crypto from "node:crypto";

/** Nesting depth from which the walk checks for cycles (its ancestors), object by object. */
const CYCLE_CHECK_DEPTH = 64;

export function canonicalJson(value: unknown): string {
  return write(value, []) ?? "null";
}

/** Node's one-shot hash (20.12 and later) takes about half the time of a Hash object; 20.10 and 20.11 have only the object. */
const oneShotHash = typeof crypto.hash === "function" ? crypto.hash : null;

export function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash("sha256", text, "hex") : crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/** The value JSON.stringify serialises in place of this one: the result of its toJSON if it has one, else itself. */
export function jsonValueOf(value: unknown): unknown {
  return value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function" ? (value as { toJSON: () => unknown }).toJSON() : value;
}

/** Adds `object` to the ancestors of the walk; throws when it is already one (a circular structure). */
export function enterObject(ancestors: object[], object: object, what: string): void {
  if (ancestors.length >= CYCLE_CHECK_DEPTH && ancestors.includes(object)) throw new TypeError(`${what}: circular structure`);
  ancestors.push(object);
}

function write(input: unknown, ancestors: object[]): string | undefined {
  const value = jsonValueOf(input);
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
  enterObject(ancestors, object, "canonicalJson");
  let out: string;
  if (Array.isArray(object)) {
    out = "[";
    for (let i = 0; i < object.length; i++) out += (i === 0 ? "" : ",") + (write(object[i], ancestors) ?? "null");
    out += "]";
  } else {
    const record = object as Record<string, unknown>;
    out = "{";
    for (const key of Object.keys(record).sort()) {
      const written = write(record[key], ancestors);
      if (written !== undefined) out += (out.length === 1 ? "" : ",") + JSON.stringify(key) + ":" + written;
    }
    out += "}";
  }
  ancestors.pop();
  return out;
}

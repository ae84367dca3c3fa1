// The audit chain's bytes must never change: every stored hash was taken over them. canonicalJson and
// toStorableJson are written for speed (one string built as the walk goes, one walk instead of
// serialise → parse → map); these tests hold them to the plain definitions they replace, on random
// values full of the awkward cases, and the writer's shortcut hash to the verifier's.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson, toStorableJson, toStorableText } from "../src/audit/index.ts";
import { chainHash, chainHashWithDataJson, GENESIS_HASH, type ChainedFields } from "../src/audit/chain.ts";

/** canonicalJson as first written (parts joined per level): the definition the chain was created with. */
function referenceCanonical(value: unknown, seen = new Set<object>()): string | undefined {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") value = (value as { toJSON: () => unknown }).toJSON();
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null";
  if (typeof value === "boolean") return String(value);
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) throw new TypeError("circular");
  seen.add(object);
  try {
    if (Array.isArray(object)) return `[${object.map((item: unknown) => referenceCanonical(item, seen) ?? "null").join(",")}]`;
    const parts: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const written = referenceCanonical((object as Record<string, unknown>)[key], seen);
      if (written !== undefined) parts.push(`${JSON.stringify(key)}:${written}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(object);
  }
}

/** toStorableJson as first written: canonical JSON parsed back, then every string and key escaped. */
function referenceStorable(value: unknown): unknown {
  const map = (item: unknown): unknown => {
    if (typeof item === "string") return toStorableText(item);
    if (Array.isArray(item)) return item.map(map);
    if (item === null || typeof item !== "object") return item;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(item)) Object.defineProperty(out, toStorableText(key), { value: map(inner), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return map(JSON.parse(referenceCanonical(value) ?? "null"));
}

/** A small seeded generator (mulberry32), so a failure names a value that can be made again. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

const TEXTS = ["", "plain", "q\"uote", "new\nline", "\u0000", "a\u0000b", "\uD800", "x\uDC00", "\uD83D\uDD10", "\\u0041", "\\", "é", "Z", "10", "9", "__proto__", "toJSON", "\u2028"];
const NUMBERS = [0, -0, 1, -1.5, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity];

function value(rng: ReturnType<typeof random>, depth: number): unknown {
  const roll = rng.next();
  if (depth > 4 || roll < 0.35) {
    return rng.pick<unknown>([rng.pick(TEXTS), rng.pick(NUMBERS), true, false, null, undefined, new Date(Date.UTC(2026, 0, 1 + Math.floor(rng.next() * 300))), () => 1, Symbol("s")]);
  }
  if (roll < 0.55) return Array.from({ length: Math.floor(rng.next() * 4) }, () => value(rng, depth + 1));
  if (roll < 0.6) {
    const inner = value(rng, depth + 1);
    return { toJSON: () => inner };
  }
  const out: Record<string, unknown> = {};
  const keys = Math.floor(rng.next() * 5);
  for (let i = 0; i < keys; i++) Object.defineProperty(out, rng.pick(TEXTS), { value: value(rng, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

describe("canonical JSON and storable JSON, written for speed", () => {
  it("canonicalJson writes exactly the bytes of its definition for 5,000 random values", () => {
    const rng = random(9);
    for (let i = 0; i < 5_000; i++) {
      const input = value(rng, 0);
      assert.equal(canonicalJson(input), referenceCanonical(input) ?? "null", `value #${i}`);
    }
  });

  it("toStorableJson gives what serialising, parsing and escaping gave, keys in the same order", () => {
    const rng = random(17);
    for (let i = 0; i < 5_000; i++) {
      const input = value(rng, 0);
      const expected = referenceStorable(input);
      const actual = toStorableJson(input);
      assert.deepStrictEqual(actual, expected, `value #${i}`);
      assert.equal(JSON.stringify(actual), JSON.stringify(expected), `key order of value #${i}`);
    }
  });

  it("a __proto__ key stays a key and sets no prototype", () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    const stored = toStorableJson(input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(stored), Object.prototype);
    assert.deepEqual(Object.keys(stored), ["__proto__", "a"]);
    assert.equal((stored as { polluted?: boolean }).polluted, undefined);
    assert.equal(canonicalJson(input), '{"__proto__":{"polluted":true},"a":1}');
  });

  it("finds cycles however shallow or deep, and lets a value appear twice without one", () => {
    const shallow: Record<string, unknown> = {};
    shallow.self = shallow;
    const list: unknown[] = [];
    list.push([list]);
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 200; i++) deep = (deep.next = {}) as Record<string, unknown>;
    deep.back = top;
    for (const cyclic of [shallow, list, top]) {
      assert.throws(() => canonicalJson(cyclic), /circular/);
      assert.throws(() => toStorableJson(cyclic), /circular/);
    }
    const shared = { k: [1] };
    let chain: unknown = { a: shared, b: shared };
    for (let i = 0; i < 100; i++) chain = { a: chain, b: shared };
    assert.equal(canonicalJson(chain), referenceCanonical(chain));
    assert.deepStrictEqual(toStorableJson(chain), referenceStorable(chain));
  });

  it("the writer's chain hash (data already canonical) equals the verifier's for random events", () => {
    const rng = random(23);
    let prev = GENESIS_HASH;
    for (let i = 0; i < 2_000; i++) {
      const maybe = () => (rng.next() < 0.3 ? null : toStorableText(rng.pick(TEXTS) || "x"));
      const data = toStorableJson({ payload: value(rng, 1), call: { args: value(rng, 2) } });
      const fields: ChainedFields = {
        id: "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        at: new Date(Date.UTC(2026, 11, 3, 0, 0, i)).toISOString(),
        type: "call.allowed",
        actor: toStorableText(rng.pick(TEXTS) || "system"),
        callId: rng.next() < 0.5 ? null : "0b8f3c1e-2d4a-4f6b-8c9d-1e2f3a4b5c6d",
        upstream: maybe(),
        tool: maybe(),
        decision: maybe(),
        rule: maybe(),
        reason: maybe(),
        data,
      };
      const { data: _data, ...rest } = fields;
      const expected = chainHash(prev, fields);
      assert.equal(chainHashWithDataJson(prev, rest, canonicalJson(data)), expected, `event #${i}`);
      prev = expected;
    }
  });
});

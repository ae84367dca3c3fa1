// Condition semantics over the call's facts, and the sentences used when a condition decides a call.
// A value of the wrong type never matches; numbers and numeric strings compare as numbers, because
// agents send "10000" as often as 10000 and a deny_if must not be dodged by quoting a number.
import { isDeepStrictEqual } from "node:util";
import type { Condition, LeafCondition } from "./schema.ts";

export interface CallFacts {
  tool: string;
  args: Record<string, unknown>;
  grant: { name: string; owner?: string | null; labels?: Record<string, string> };
  session: { id: string };
}

export function conditionHolds(condition: Condition, facts: CallFacts, regexes: ReadonlyMap<string, RegExp>): boolean {
  if ("any" in condition) return condition.any.some((inner) => conditionHolds(inner, facts, regexes));
  if ("all" in condition) return condition.all.every((inner) => conditionHolds(inner, facts, regexes));
  if ("not" in condition) return !conditionHolds(condition.not, facts, regexes);
  return leafHolds(condition, resolveFactPath(facts, condition.path), regexes);
}

export function resolveFactPath(facts: CallFacts, path: string): unknown {
  const [root, ...segments] = path.split(".");
  let current: unknown = root === "args" ? facts.args : root === "grant" ? facts.grant : root === "session" ? facts.session : undefined;
  for (const segment of segments) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

function leafHolds(condition: LeafCondition, actual: unknown, regexes: ReadonlyMap<string, RegExp>): boolean {
  switch (condition.op) {
    case "eq":
      return sameValue(actual, condition.value);
    case "ne":
      return !sameValue(actual, condition.value);
    case "gt":
      return compare(actual, condition.value, (a, b) => a > b);
    case "gte":
      return compare(actual, condition.value, (a, b) => a >= b);
    case "lt":
      return compare(actual, condition.value, (a, b) => a < b);
    case "lte":
      return compare(actual, condition.value, (a, b) => a <= b);
    case "in":
      return condition.value.some((candidate) => sameValue(actual, candidate));
    case "not_in":
      return !condition.value.some((candidate) => sameValue(actual, candidate));
    case "contains":
      if (typeof actual === "string") return typeof condition.value === "string" && actual.includes(condition.value);
      return Array.isArray(actual) && actual.some((item) => sameValue(item, condition.value));
    case "starts_with":
      return typeof actual === "string" && actual.startsWith(condition.value);
    case "ends_with":
      return typeof actual === "string" && actual.endsWith(condition.value);
    case "matches":
      return typeof actual === "string" && (regexes.get(condition.value) ?? new RegExp(condition.value)).test(actual);
    case "exists":
      return actual !== undefined && actual !== null;
    case "not_exists":
      return actual === undefined || actual === null;
    case "len_gt":
      return (lengthOf(actual) ?? -Infinity) > condition.value;
    case "len_lt":
      return (lengthOf(actual) ?? Infinity) < condition.value;
  }
}

/** Holds for a whole list: every item must hold (an empty list holds). */
export function everyConditionHolds(list: readonly Condition[], facts: CallFacts, regexes: ReadonlyMap<string, RegExp>): boolean {
  return list.every((condition) => conditionHolds(condition, facts, regexes));
}

/** What a condition asserts, e.g. `args.status equals "START"`. */
export function describeCondition(condition: Condition): string {
  if ("any" in condition) return `(${condition.any.map(describeCondition).join(" or ")})`;
  if ("all" in condition) return `(${condition.all.map(describeCondition).join(" and ")})`;
  if ("not" in condition) return `not ${describeCondition(condition.not)}`;
  return `${condition.path} ${phrase(condition, "states")}`;
}

/** What a condition demands, e.g. `args.status must equal "PAUSED"`. */
export function describeRequirement(condition: Condition): string {
  if ("any" in condition) return condition.any.map(describeRequirement).join(", or ");
  if ("all" in condition) return condition.all.map(describeRequirement).join(", and ");
  if ("not" in condition) return `it must not be that ${describeCondition(condition.not)}`;
  return `${condition.path} ${phrase(condition, "demands")}`;
}

/** True when the condition reads nothing but grant.* facts, so it is known before any call is made. */
export function readsOnlyGrant(condition: Condition): boolean {
  if ("any" in condition) return condition.any.every(readsOnlyGrant);
  if ("all" in condition) return condition.all.every(readsOnlyGrant);
  if ("not" in condition) return readsOnlyGrant(condition.not);
  return condition.path.startsWith("grant.");
}

const PHRASES: Record<LeafCondition["op"], [states: string, demands: string]> = {
  eq: ["equals", "must equal"],
  ne: ["does not equal", "must not equal"],
  gt: ["is greater than", "must be greater than"],
  gte: ["is at least", "must be at least"],
  lt: ["is less than", "must be less than"],
  lte: ["is at most", "must be at most"],
  in: ["is one of", "must be one of"],
  not_in: ["is not one of", "must not be one of"],
  contains: ["contains", "must contain"],
  starts_with: ["starts with", "must start with"],
  ends_with: ["ends with", "must end with"],
  matches: ["matches", "must match"],
  exists: ["is set", "is required"],
  not_exists: ["is not set", "must not be set"],
  len_gt: ["is longer than", "must be longer than"],
  len_lt: ["is shorter than", "must be shorter than"],
};

function phrase(condition: LeafCondition, mood: "states" | "demands"): string {
  const [states, demands] = PHRASES[condition.op];
  const verb = mood === "states" ? states : demands;
  if (!("value" in condition)) return verb;
  const value = condition.op === "matches" ? `/${condition.value}/` : JSON.stringify(condition.value);
  return `${verb} ${value}`;
}

function sameValue(actual: unknown, expected: unknown): boolean {
  if (actual === undefined) return false;
  if (typeof actual === "number" || typeof expected === "number") {
    const left = asNumber(actual);
    const right = asNumber(expected);
    if (left !== null && right !== null) return left === right;
  }
  return isDeepStrictEqual(actual, expected);
}

function compare(actual: unknown, expected: number, test: (a: number, b: number) => boolean): boolean {
  const value = asNumber(actual);
  return value !== null && test(value, expected);
}

function asNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value.trim())) return Number(value);
  return null;
}

function lengthOf(value: unknown): number | null {
  if (typeof value === "string") return [...value].length;
  return Array.isArray(value) ? value.length : null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Argument checking against a tool's input schema (the JSON Schema subset tools.json uses), and a
// typed reader over arguments that passed it. The low-level SDK Server does not validate arguments.
import type { JsonSchema } from "./catalog.ts";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Human-readable problems with `value` against `schema`; empty when it conforms. */
export function findSchemaViolations(schema: JsonSchema, value: unknown, path = ""): string[] {
  const at = path === "" ? "arguments" : path;
  if (schema.type !== undefined && !hasType(value, schema.type)) {
    return [`${at}: expected ${schema.type}, got ${describeType(value)}`];
  }
  const problems: string[] = [];
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    problems.push(`${at}: must be one of ${schema.enum.map((item) => JSON.stringify(item)).join(", ")}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: must be <= ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
      problems.push(`${at}: must be > ${schema.exclusiveMinimum}`);
    }
  }
  if (typeof value === "string" && !matchesFormat(value, schema.format)) {
    problems.push(`${at}: must be a valid ${schema.format ?? "value"}`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    value.forEach((item, index) => problems.push(...findSchemaViolations(items, item, `${path}[${index}]`)));
  }
  if (isRecord(value)) problems.push(...findObjectViolations(schema, value, path));
  return problems;
}

function findObjectViolations(schema: JsonSchema, value: Record<string, unknown>, path: string): string[] {
  const problems: string[] = [];
  const properties = schema.properties ?? {};
  const prefix = path === "" ? "" : `${path}.`;
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) problems.push(`${prefix}${key}: required`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const propertySchema = properties[key];
    if (propertySchema !== undefined) {
      problems.push(...findSchemaViolations(propertySchema, item, `${prefix}${key}`));
    } else if (schema.additionalProperties === false) {
      problems.push(`${prefix}${key}: unknown property`);
    } else if (typeof schema.additionalProperties === "object") {
      problems.push(...findSchemaViolations(schema.additionalProperties, item, `${prefix}${key}`));
    }
  }
  return problems;
}

function hasType(value: unknown, type: NonNullable<JsonSchema["type"]>): boolean {
  switch (type) {
    case "object":
      return isRecord(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
  }
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isInteger(value)) return "number";
  return typeof value === "number" ? "integer" : typeof value;
}

function matchesFormat(value: string, format: string | undefined): boolean {
  if (format === "email") return EMAIL.test(value);
  if (format === "uri") return URL.canParse(value);
  return true;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Read access to arguments that already passed `findSchemaViolations`. A getter that finds the
 * wrong type means a handler disagrees with its schema: that is a bug, so it throws.
 */
export class ToolArgs {
  readonly values: Readonly<Record<string, unknown>>;

  constructor(values: Record<string, unknown>) {
    this.values = values;
  }

  number(key: string): number {
    return this.required(key, this.optionalNumber(key));
  }

  optionalNumber(key: string): number | undefined {
    return this.typed(key, (value): value is number => typeof value === "number");
  }

  string(key: string): string {
    return this.required(key, this.optionalString(key));
  }

  optionalString(key: string): string | undefined {
    return this.typed(key, (value): value is string => typeof value === "string");
  }

  optionalBoolean(key: string): boolean | undefined {
    return this.typed(key, (value): value is boolean => typeof value === "boolean");
  }

  /** Array items are trusted to match the schema's `items`; callers name the element type. */
  array<T>(key: string): T[] {
    return this.required(key, this.optionalArray<T>(key));
  }

  optionalArray<T>(key: string): T[] | undefined {
    return this.typed(key, (value): value is T[] => Array.isArray(value));
  }

  object(key: string): Record<string, unknown> {
    return this.required(key, this.optionalObject(key));
  }

  optionalObject(key: string): Record<string, unknown> | undefined {
    return this.typed(key, isRecord);
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  private typed<T>(key: string, isType: (value: unknown) => value is T): T | undefined {
    const value = this.values[key];
    if (value === undefined) return undefined;
    if (!isType(value)) throw new TypeError(`argument ${key} has an unexpected type`);
    return value;
  }

  private required<T>(key: string, value: T | undefined): T {
    if (value === undefined) throw new TypeError(`argument ${key} is missing`);
    return value;
  }
}

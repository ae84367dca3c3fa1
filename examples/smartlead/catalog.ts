// The demo upstream's tool catalog (tools.json: the SmartLead MCP server's 116 tool names, titles,
// risk classes and input schemas). Parsed once with zod; the schema keywords are a closed set so a
// keyword the argument checker does not understand fails at load instead of being ignored.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { PROJECT_ROOT } from "../../src/package-root.ts";

export type ToolRisk = "read" | "write" | "execute" | "destructive";

export interface JsonSchema {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  format?: string;
  default?: unknown;
  description?: string;
}

const JsonSchemaSchema: z.ZodType<JsonSchema> = z.lazy(() =>
  z.strictObject({
    type: z.enum(["object", "array", "string", "number", "integer", "boolean"]).optional(),
    properties: z.record(z.string(), JsonSchemaSchema).optional(),
    required: z.array(z.string()).optional(),
    additionalProperties: z.union([z.boolean(), JsonSchemaSchema]).optional(),
    items: JsonSchemaSchema.optional(),
    enum: z.array(z.unknown()).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    format: z.string().optional(),
    default: z.unknown().optional(),
    description: z.string().optional(),
  }),
);

const ToolSpecSchema = z.object({
  name: z.string().regex(/^smartlead_[a-z0-9_]+$/),
  title: z.string().min(1),
  description: z.string().min(1),
  risk: z.enum(["read", "write", "execute", "destructive"]),
  highRisk: z.boolean(),
  group: z.string(),
  http: z.array(z.string()),
  inputSchema: JsonSchemaSchema.refine((schema) => schema.type === "object", "inputSchema must be an object schema"),
});

const CatalogSchema = z.object({ about: z.string(), tools: z.array(ToolSpecSchema) });

export type ToolSpec = z.infer<typeof ToolSpecSchema>;

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
}

let cached: readonly ToolSpec[] | undefined;

/** The 116 tool specs, in the upstream's order. */
export function loadToolCatalog(): readonly ToolSpec[] {
  if (cached) return cached;
  // From the package root, so the sources and any build of them (bundled or not) read the same file.
  const file = join(PROJECT_ROOT, "examples/smartlead/tools.json");
  const parsed = CatalogSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new Error(`examples/smartlead/tools.json is invalid: ${z.prettifyError(parsed.error)}`);
  }
  const names = new Set<string>();
  for (const tool of parsed.data.tools) {
    if (names.has(tool.name)) throw new Error(`examples/smartlead/tools.json lists ${tool.name} twice`);
    names.add(tool.name);
  }
  cached = parsed.data.tools;
  return cached;
}

/** MCP hints from the risk class: only reads are read-only, only destructive tools are destructive. */
export function annotationsFor(tool: ToolSpec): ToolAnnotations {
  if (tool.risk === "read") return { readOnlyHint: true };
  return { readOnlyHint: false, destructiveHint: tool.risk === "destructive" };
}

// The OpenAPI 3.1 document, generated from the same route declarations and zod schemas the server uses.
// OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what zod emits; named schemas (`.meta({ id })`)
// become components.
import { z } from "zod";
import type { ApiRoute, ErrorResponse } from "./route.ts";

type JsonSchema = Record<string, unknown>;

const PROBLEM: JsonSchema = {
  type: "object",
  required: ["type", "title", "code", "status", "detail"],
  properties: {
    type: { type: "string", description: "urn:gatehouse:problem:<code>" },
    title: { type: "string", description: "The stable code (same as `code`)" },
    code: { type: "string", description: "Stable error code to branch on" },
    status: { type: "integer" },
    detail: { type: "string", description: "What went wrong and what to do, for people" },
    errors: { type: "array", items: { type: "object", required: ["path", "message"], properties: { path: { type: "string" }, message: { type: "string" } } } },
  },
};

export function buildOpenApiDocument(routes: readonly ApiRoute[], info: { version: string; serverUrl?: string }): JsonSchema {
  const components: Record<string, JsonSchema> = { Problem: PROBLEM };
  const toSchema = (schema: z.ZodType, io: "input" | "output") => hoist(z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema, components, io);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api${route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`;
    const parameters = [...parametersOf(route.params, "path", toSchema), ...parametersOf(route.query, "query", toSchema)];
    const okContent: Record<string, unknown> = {};
    if (route.response) okContent["application/json"] = { schema: toSchema(route.response, "output") };
    for (const type of route.alsoProduces ?? []) okContent[type] = { schema: { type: "string" } };
    const responses: Record<string, unknown> = {
      [String(route.status ?? (route.response ? 200 : 204))]: { description: "OK", ...(Object.keys(okContent).length > 0 ? { content: okContent } : {}) },
    };
    for (const error of standardErrors(route)) {
      responses[String(error.status)] = { description: error.description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: operationId(route),
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.access === "public" ? { security: [] } : {}),
      ...(route.access !== "public" ? { "x-gatehouse-role": route.access } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(route.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Gatehouse admin API",
      version: info.version,
      description:
        "Approvals, audit history, policies, grants, reviewers and upstreams of a Gatehouse gateway. Authenticate with `Authorization: Bearer <token>` (the admin token, or a reviewer token for reviewer routes) or the dashboard's session cookie plus `X-CSRF-Token` on state changes. Errors are application/problem+json with a stable `code`.",
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "GATEHOUSE_ADMIN_TOKEN, or a reviewer token (ghr_…)" },
        session: { type: "apiKey", in: "cookie", name: "gatehouse_session", description: "Dashboard session; state changes also need the X-CSRF-Token header" },
      },
    },
  };
}

function operationId(route: ApiRoute): string {
  const words = route.path
    .split("/")
    .filter(Boolean)
    .map((part) => (part.startsWith(":") ? `by-${part.slice(1)}` : part));
  return [route.method, ...words].join("-").replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function standardErrors(route: ApiRoute): ErrorResponse[] {
  const list: ErrorResponse[] = [];
  if (route.params || route.query || route.body) list.push({ status: 400, code: "invalid_query", description: "Invalid parameters or body (`errors` lists each problem)" });
  if (route.access !== "public") {
    list.push({ status: 401, code: "unauthorized", description: "No or unknown credential" });
    list.push({ status: 403, code: route.access === "admin" ? "admin_only" : "csrf_failed", description: route.access === "admin" ? "A reviewer called an admin route, or a session request without its CSRF token" : "A session request without its CSRF token" });
  }
  list.push(...(route.errors ?? []));
  list.push({ status: 503, code: "storage_unavailable", description: "The database is unavailable; nothing changed" });
  const byStatus = new Map<number, ErrorResponse>();
  for (const error of list) {
    const earlier = byStatus.get(error.status);
    byStatus.set(error.status, earlier ? { ...earlier, description: `${earlier.description}; ${error.description}` } : error);
  }
  return [...byStatus.values()];
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query", toSchema: (s: z.ZodType, io: "input" | "output") => JsonSchema): unknown[] {
  if (!schema) return [];
  const json = toSchema(schema, "input");
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    ...(typeof property.description === "string" ? { description: property.description } : {}),
    schema: property,
  }));
}

/** Moves `$defs` into components (named by their zod id) and points the refs there. */
function hoist(schema: JsonSchema, components: Record<string, JsonSchema>, io: "input" | "output"): JsonSchema {
  const { $schema: _draft, $defs, ...rest } = schema as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const rename = (id: string) => (io === "input" && !id.endsWith("Input") ? `${id}Input` : id);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, v]) => [key, key === "$ref" && typeof v === "string" && v.startsWith("#/$defs/") ? `#/components/schemas/${rename(v.slice(8))}` : rewrite(v)]),
      );
    }
    return value;
  };
  for (const [id, definition] of Object.entries($defs ?? {})) components[rename(id)] = rewrite(definition) as JsonSchema;
  return rewrite(rest) as JsonSchema;
}

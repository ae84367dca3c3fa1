// One declaration per admin API route: method, path, who may call it, and zod schemas for what comes in and
// what goes out. The same declaration validates requests (parse at the edge, once), answers with problem
// JSON, and feeds the OpenAPI document, so the document cannot drift from what the server accepts.
import type { Request, Response } from "express";
import { z } from "zod";
import type { Caller, Role } from "../callers.ts";

export type Access = Role | "public";
export type Method = "get" | "post" | "put" | "delete";

/** An expected failure with a stable code; the router turns it into application/problem+json. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: ReadonlyArray<{ path: string; message: string }> | undefined;
  constructor(status: number, code: string, detail: string, errors?: ReadonlyArray<{ path: string; message: string }>) {
    super(detail);
    this.name = "ApiProblem";
    this.status = status;
    this.code = code;
    this.errors = errors;
  }
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Null only on public routes. */
  caller: Caller;
  req: Request;
  res: Response;
}

export interface ErrorResponse {
  status: number;
  code: string;
  description: string;
}

export interface ApiRoute {
  method: Method;
  /** Express syntax, relative to /api: "/approvals/:id". */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The JSON answer (documentation and contract tests; answers are not re-validated at run time). */
  response?: z.ZodType;
  /** Success status (200 unless said). */
  status?: number;
  /** Other media types this route answers with (text/csv, text/event-stream). */
  alsoProduces?: string[];
  /** Expected failures, for the document. Auth and validation failures are added automatically. */
  errors?: ErrorResponse[];
  /** Returns the JSON body, or undefined after writing the answer itself (streams, CSV). */
  handler(context: RouteContext<unknown, unknown, unknown>): Promise<unknown>;
}

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Declares a route; the handler's arguments are typed from the schemas. */
export function defineRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined, R extends z.ZodType | undefined = undefined>(
  spec: Omit<ApiRoute, "handler" | "params" | "query" | "body" | "response"> & {
    params?: P;
    query?: Q;
    body?: B;
    response?: R;
    handler(context: RouteContext<Infer<P>, Infer<Q>, Infer<B>>): Promise<(R extends z.ZodType ? z.input<R> : unknown) | undefined>;
  },
): ApiRoute {
  return spec as unknown as ApiRoute;
}

/** zod issues as problem `errors` entries: where, and what is wrong. */
export function issuesOf(error: z.ZodError, prefix: string): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."), message: issue.message }));
}

export function describeIssues(errors: ReadonlyArray<{ path: string; message: string }>): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
}

// Shared pieces of schemas.
export const IsoTime = z.iso.datetime({ offset: true }).describe("ISO-8601 time");
export const NullableIsoTime = IsoTime.nullable();

/** A comma-separated list in a query string: "pending,approved". */
export function commaList<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item));
}

/** Query booleans: "true"/"1" and "false"/"0". */
export const QueryBoolean = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

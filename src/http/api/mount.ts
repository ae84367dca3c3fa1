// Turns route declarations into an express router: authenticate, check the role and CSRF, parse params,
// query and body with their schemas, run the handler, answer JSON or problem JSON.
import { Router, type Request, type Response } from "express";
import type { z } from "zod";
import { isGatewayError } from "../../errors.ts";
import { authenticateCaller, csrfProblem, type Caller, type CallerDeps } from "../callers.ts";
import { problem } from "../errors.ts";
import { ApiProblem, describeIssues, issuesOf, type ApiRoute } from "./route.ts";

export function mountRoutes(routes: readonly ApiRoute[], deps: CallerDeps & { onUnexpected(error: unknown): void; adminApiEnabled: boolean }): Router {
  const router = Router();
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      try {
        const caller = route.access === "public" ? null : await requireCaller(req, route, deps);
        const params = parsePart(route.params, req.params, "params", "invalid_query");
        const query = parsePart(route.query, req.query, "query", "invalid_query");
        const body = parsePart(route.body, route.body ? (req.body ?? {}) : undefined, "body", "invalid_body");
        const result = await route.handler({ params, query, body, caller: caller as Caller, req, res });
        if (res.headersSent) return;
        if (result === undefined) res.status(route.status ?? 204).end();
        else res.status(route.status ?? 200).json(result);
      } catch (error) {
        if (res.headersSent) return;
        answerError(res, error, deps.onUnexpected);
      }
    });
  }
  return router;
}

async function requireCaller(req: Request, route: ApiRoute, deps: CallerDeps & { adminApiEnabled: boolean }): Promise<Caller> {
  const caller = await authenticateCaller(req, deps);
  if (!caller) {
    if (!deps.adminApiEnabled) throw new ApiProblem(503, "admin_api_disabled", "Set GATEHOUSE_ADMIN_TOKEN to enable the admin API (reviewer tokens and dashboard sessions work without it).");
    throw new ApiProblem(401, "unauthorized", "Send Authorization: Bearer <token> (GATEHOUSE_ADMIN_TOKEN, or a reviewer token from `gatehouse reviewers add`), or sign in to the dashboard.");
  }
  if (route.access === "admin" && caller.role !== "admin") {
    throw new ApiProblem(403, "admin_only", `${caller.displayName} is a reviewer: reviewers may read approvals, the audit history and policies, and vote; this endpoint needs the admin.`);
  }
  const csrf = csrfProblem(req, caller);
  if (csrf) throw new ApiProblem(403, "csrf_failed", csrf);
  return caller;
}

function parsePart(schema: z.ZodType | undefined, value: unknown, where: string, code: string): unknown {
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = issuesOf(parsed.error, where === "body" ? "" : where);
  throw new ApiProblem(400, code, describeIssues(errors), errors);
}

/** The one mapper from what went wrong to what crosses the wire. */
export function answerError(res: Response, error: unknown, onUnexpected: (error: unknown) => void): void {
  if (error instanceof ApiProblem) return problem(res, error.status, error.code, error.message, error.errors);
  if (isGatewayError(error)) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    if (status === 500) onUnexpected(error);
    // Infrastructure messages can carry SQL or connection details: the caller gets the code and a plain sentence.
    return problem(res, status, error.code, status === 503 ? "The gateway's storage is unavailable right now; nothing was changed. Try again shortly." : error.message);
  }
  if (isDatabaseDown(error)) return problem(res, 503, "storage_unavailable", "The gateway's storage is unavailable right now; nothing was changed. Try again shortly.");
  onUnexpected(error);
  problem(res, 500, "internal", "Internal gateway error");
}

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  storage_unavailable: 503,
  audit_unavailable: 503,
  config_invalid: 400,
  unauthorized: 401,
  not_found: 404,
};

function isDatabaseDown(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "57P01" || code === "08006" || code === "08001" || code === "ETIMEDOUT");
}


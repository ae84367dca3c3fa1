// The admin API: every route declared once (see route.ts), mounted under /api, and described by the
// OpenAPI document at /api/openapi.json.
import type { Router } from "express";
import { approvalRoutes } from "./approvals.ts";
import { auditRoutes } from "./audit.ts";
import type { ApiDeps } from "./deps.ts";
import { meRoute, openApiRoute } from "./me.ts";
import { mountRoutes } from "./mount.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { grantRoutes, reviewerRoutes } from "./people.ts";
import { policyRoutes } from "./policies.ts";
import type { ApiRoute } from "./route.ts";
import { upstreamRoutes } from "./upstreams.ts";

export type { ApiDeps } from "./deps.ts";
export { answerError } from "./mount.ts";
export { ApiProblem, defineRoute, type ApiRoute } from "./route.ts";

export function apiRoutes(deps: ApiDeps): ApiRoute[] {
  const routes: ApiRoute[] = [meRoute(), ...approvalRoutes(deps), ...auditRoutes(deps), ...policyRoutes(deps), ...grantRoutes(deps), ...reviewerRoutes(deps), ...upstreamRoutes(deps)];
  let document: unknown;
  routes.push(openApiRoute(() => (document ??= buildOpenApiDocument(routes, { version: deps.version }))));
  return routes;
}

export function createApiRouter(deps: ApiDeps, onUnexpected: (error: unknown) => void): Router {
  return mountRoutes(apiRoutes(deps), { ...deps, adminApiEnabled: deps.adminToken !== undefined, onUnexpected });
}

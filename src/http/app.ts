// The express app: /mcp, /api (admin), health and metrics, and the dashboard.
import type { IncomingMessage, RequestListener } from "node:http";
import express, { type Express, type Router } from "express";
import type { ApprovalBus, ApprovalCore } from "../approvals/index.ts";
import type { AuditWriter, PublicKeyInfo } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import type { Grant, GrantStore } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Gateway, PolicySource, TaskSupport, UpstreamConnection } from "../proxy/index.ts";
import type { PolicyAdmin } from "../policies/index.ts";
import type { ReviewerStore } from "../reviewers/index.ts";
import type { Sealer } from "../secrets/index.ts";
import type { SessionStore } from "../sessions/index.ts";
import { createApiRouter } from "./api/index.ts";
import { bearerToken } from "./callers.ts";
import { createErrorHandler, problem } from "./errors.ts";
import { createDashboardRouter } from "../dashboard/index.ts";
import type { DashboardConfig } from "../config/index.ts";
import { createHostGuard, type HostRules } from "./host-guard.ts";
import { createMcpRoute, type McpRoute } from "./mcp.ts";
import { createOAuthMetadataRouter, unauthorizedAnswer } from "./oauth-metadata.ts";
import type { SessionLimits } from "./mcp-sessions.ts";

export interface HttpAppDeps {
  gateway: Gateway;
  approvals: ApprovalCore;
  approvalBus: ApprovalBus;
  audit: AuditWriter;
  grants: GrantStore;
  /** Dashboard sign-ins (cookie sessions), also accepted by /api. */
  sessions: SessionStore;
  dashboard: DashboardConfig;
  /** Reviewer credentials: accepted on /api/approvals besides the admin token. */
  reviewers: ReviewerStore;
  database: Database;
  policies: PolicySource;
  policyAdmin: PolicyAdmin;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  metrics: Metrics;
  logger: Logger;
  maxBodyBytes: number;
  /** Idle timeout and per-grant cap of MCP sessions. */
  sessionLimits: SessionLimits;
  /** Which Host and Origin headers are served (DNS-rebinding protection). */
  hostRules: HostRules;
  /** Set when auth mode is "none": every request acts as this grant. */
  anonymousGrant: Grant | null;
  adminToken: string | undefined;
  /** The public half of the audit checkpoint signing key. */
  auditKey: PublicKeyInfo;
  /** The file this gateway appends its checkpoints to (null: none); verify checks it too. */
  auditCheckpointFile: string | null;
  /** The gateway's sealing key: seals the single sign-on flow cookie (replicas share it). */
  sealer: Sealer;
  tasksFor?: (grant: Grant) => TaskSupport;
  /** Slack's HTTP endpoint (reads the raw body itself: no JSON parser in front). */
  slackRouter?: Router;
}

export const GATEHOUSE_VERSION = "0.1.0";

/** `listener` is what the HTTP server runs: an open session's POST to /mcp before express (mcp.ts), the rest through `app`. */
export function createHttpApp(deps: HttpAppDeps): { app: Express; mcp: McpRoute; listener: RequestListener } {
  const app = express();
  app.disable("x-powered-by");
  const json = express.json({ limit: deps.maxBodyBytes, type: ["application/json", "application/*+json"] });

  const mcp = createMcpRoute({
    gateway: deps.gateway,
    logger: deps.logger,
    tasksFor: deps.tasksFor,
    authenticate: (req) => authenticateAgent(req, deps),
    unauthorized: (req) => unauthorizedAnswer(req, deps.dashboard.publicUrl),
    limits: deps.sessionLimits,
    hostRules: deps.hostRules,
    maxBodyBytes: deps.maxBodyBytes,
  });
  if (deps.hostRules.warning) deps.logger.warn(deps.hostRules.warning);
  // First of all, before any body is read: a request under a name this gateway does not serve goes no further.
  app.use(createHostGuard(deps.hostRules, (refusal, req) => deps.logger.warn({ header: refusal.header, value: refusal.value, path: req.path }, "request refused: Host or Origin not allowed")));
  // Next, the route every agent call takes, so it passes no other route's matching on the way. A path
  // under /mcp it does not serve (/mcp/.well-known/…) goes on to the routes below.
  app.use("/mcp", json, mcp.router);
  app.use(createOAuthMetadataRouter({ isTokenRequired: !deps.anonymousGrant, publicUrl: deps.dashboard.publicUrl }));
  if (deps.slackRouter) app.use("/slack/events", deps.slackRouter);
  // Not the dashboard's: without an HTTP Slack receiver (Socket Mode, or Slack off) nothing is served here.
  app.use("/slack", (req, res) => problem(res, 404, "not_found", `No Slack route ${req.method} ${req.originalUrl.split("?")[0]} (with the HTTP receiver on, Slack posts to /slack/events; over Socket Mode nothing is served here)`));
  const onUnexpected = (error: unknown) => deps.logger.error({ err: error }, "unhandled http error");
  app.use("/api", json, createApiRouter({ ...deps, version: GATEHOUSE_VERSION }, onUnexpected));
  app.use("/api", (req, res) => problem(res, 404, "not_found", `No API route ${req.method} ${req.originalUrl.split("?")[0]} (the routes are listed at /api/openapi.json)`));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const report = await readiness(deps);
    res.status(report.isReady ? 200 : 503).json(report);
  });
  app.get("/metrics", async (_req, res) => {
    for (const upstream of deps.upstreams.values()) {
      deps.metrics.upstreamUp.set({ upstream: upstream.name }, upstream.status().state === "ready" ? 1 : 0);
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(createDashboardRouter({ ...deps, sessionTtlMs: deps.dashboard.sessionHours * 3_600_000, secureCookies: deps.dashboard.secureCookies }));
  app.use(createErrorHandler(onUnexpected));
  const listener: RequestListener = (req, res) => {
    if (!mcp.serveBeforeExpress(req, res, app)) app(req, res);
  };
  return { app, mcp, listener };
}

async function authenticateAgent(req: IncomingMessage, deps: HttpAppDeps): Promise<Grant | null> {
  if (deps.anonymousGrant) return deps.anonymousGrant;
  const token = bearerToken(req);
  return token ? deps.grants.authenticate(token) : null;
}

async function readiness(deps: HttpAppDeps) {
  let database: string = "ok";
  try {
    await deps.database.pool.query("SELECT 1");
  } catch (error) {
    database = `unreachable: ${(error as Error).message}`;
  }
  const upstreams = [...deps.upstreams.values()].map((u) => u.status());
  const policies = deps.policies.status();
  const isReady = database === "ok" && policies.every((p) => p.isLoaded && !p.errors);
  return { isReady, database, upstreams, policies };
}

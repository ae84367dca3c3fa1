// The express app: /mcp, /api (admin), health and metrics, and the dashboard placeholder.
import express, { type Express, type Request, type Router } from "express";
import type { ApprovalService } from "../approvals/index.ts";
import type { Database } from "../db/index.ts";
import type { Grant, GrantStore } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Gateway, PolicySource, TaskSupport, UpstreamConnection } from "../proxy/index.ts";
import type { ReviewerStore } from "../reviewers/index.ts";
import { createApiRouter } from "./api.ts";
import { bearerToken } from "./auth.ts";
import { createErrorHandler } from "./errors.ts";
import { createMcpRoute, type McpRoute } from "./mcp.ts";
import type { SessionLimits } from "./mcp-sessions.ts";

export interface HttpAppDeps {
  gateway: Gateway;
  approvals: ApprovalService;
  grants: GrantStore;
  /** Reviewer credentials: accepted on /api/approvals besides the admin token. */
  reviewers: ReviewerStore;
  database: Database;
  policies: PolicySource;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  metrics: Metrics;
  logger: Logger;
  maxBodyBytes: number;
  /** Idle timeout and per-grant cap of MCP sessions. */
  sessionLimits: SessionLimits;
  /** Set when auth mode is "none": every request acts as this grant. */
  anonymousGrant: Grant | null;
  adminToken: string | undefined;
  tasksFor?: (grant: Grant) => TaskSupport;
  /** Slack's HTTP endpoint (reads the raw body itself: no JSON parser in front). */
  slackRouter?: Router;
}

export function createHttpApp(deps: HttpAppDeps): { app: Express; mcp: McpRoute } {
  const app = express();
  app.disable("x-powered-by");
  const json = express.json({ limit: deps.maxBodyBytes, type: ["application/json", "application/*+json"] });

  const mcp = createMcpRoute({ gateway: deps.gateway, logger: deps.logger, tasksFor: deps.tasksFor, authenticate: (req) => authenticateAgent(req, deps), limits: deps.sessionLimits });
  if (deps.slackRouter) app.use("/slack/events", deps.slackRouter);
  app.use("/mcp", json, mcp.router);
  app.use("/api", json, createApiRouter(deps));

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
  app.get("/", (_req, res) => {
    res.type("html").send(DASHBOARD_PLACEHOLDER);
  });
  app.use(createErrorHandler((error) => deps.logger.error({ err: error }, "unhandled http error")));
  return { app, mcp };
}

async function authenticateAgent(req: Request, deps: HttpAppDeps): Promise<Grant | null> {
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

const DASHBOARD_PLACEHOLDER = `<!doctype html><html><head><meta charset="utf-8"><title>Gatehouse</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Gatehouse</h1><p>The gateway is running. MCP endpoint: <code>/mcp</code>.</p>
<ul><li><a href="/readyz">/readyz</a> — readiness, upstream and policy status</li>
<li><a href="/metrics">/metrics</a> — Prometheus metrics</li>
<li><code>GET /api/audit</code> — audit history (admin token)</li></ul></body></html>`;

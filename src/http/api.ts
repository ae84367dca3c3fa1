// /api: the admin API (bearer GATEHOUSE_ADMIN_TOKEN). Query parameters are parsed with zod here, once.
import { Router } from "express";
import { z } from "zod";
import { formatToolCalls, InvalidAuditQueryError, listToolCalls, parseSince } from "../audit/index.ts";
import type { HttpAppDeps } from "./app.ts";
import { bearerToken, isAdminToken } from "./app.ts";
import { createApprovalsRouter } from "./approvals-api.ts";
import { problem } from "./errors.ts";

const AuditQuery = z.object({
  since: z.string().optional(),
  until: z.string().optional(),
  upstream: z.string().optional(),
  tool: z.string().optional(),
  grant: z.string().optional(),
  decision: z.string().optional(),
  status: z.string().optional(),
  reviewer: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
  format: z.enum(["json", "csv"]).default("json"),
});

export function createApiRouter(deps: HttpAppDeps): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (!deps.adminToken) return problem(res, 503, "admin_api_disabled", "Set GATEHOUSE_ADMIN_TOKEN to enable the admin API.");
    if (!isAdminToken(bearerToken(req), deps.adminToken)) return problem(res, 401, "unauthorized", "Send Authorization: Bearer <GATEHOUSE_ADMIN_TOKEN>.");
    next();
  });

  router.get("/audit", async (req, res) => {
    const parsed = AuditQuery.safeParse(req.query);
    if (!parsed.success) return problem(res, 400, "invalid_query", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const q = parsed.data;
    const now = new Date();
    let since: Date | undefined;
    let until: Date | undefined;
    try {
      since = q.since ? parseSince(q.since, now) : undefined;
      until = q.until ? parseSince(q.until, now) : undefined;
    } catch (error) {
      return problem(res, 400, "invalid_query", (error as Error).message);
    }
    let page;
    try {
      page = await listToolCalls(deps.database, { since, until, upstream: q.upstream, tool: q.tool, grant: q.grant, decision: q.decision, status: q.status, reviewer: q.reviewer, limit: q.limit, cursor: q.cursor });
    } catch (error) {
      if (error instanceof InvalidAuditQueryError) return problem(res, 400, "invalid_query", error.message);
      throw error;
    }
    if (q.format === "csv") {
      res.type("text/csv").send(formatToolCalls(page.rows, "csv"));
      return;
    }
    res.json(page);
  });

  router.use("/approvals", createApprovalsRouter(deps.approvals));

  router.get("/policies", (_req, res) => {
    res.json({ policies: deps.policies.status() });
  });
  return router;
}

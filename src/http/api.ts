// /api: the admin API (bearer GATEHOUSE_ADMIN_TOKEN). Reviewer tokens reach /api/approvals only.
// Query parameters are parsed with zod here, once.
import { Router } from "express";
import { z } from "zod";
import { formatToolCalls, InvalidAuditQueryError, listToolCalls, parseSince } from "../audit/index.ts";
import type { ApprovalService } from "../approvals/index.ts";
import type { Database } from "../db/index.ts";
import type { PolicySource } from "../proxy/index.ts";
import type { ReviewerStore } from "../reviewers/index.ts";
import { adminOnly, authenticateApiCaller } from "./auth.ts";
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

export interface ApiDeps {
  approvals: ApprovalService;
  database: Database;
  policies: PolicySource;
  reviewers: ReviewerStore;
  adminToken: string | undefined;
}

export function createApiRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(authenticateApiCaller(deps));
  router.use("/approvals", createApprovalsRouter(deps.approvals));
  router.use(adminOnly);

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

  router.get("/policies", (_req, res) => {
    res.json({ policies: deps.policies.status() });
  });
  return router;
}

// /api/approvals: list, show and decide approvals without Slack (admin bearer token).
import { Router } from "express";
import { z } from "zod";
import type { ApprovalService, ApprovalStatus } from "../approvals/index.ts";
import { problem } from "./errors.ts";

const Decision = z.object({
  reason: z.string().max(2000).optional(),
  actor: z.string().min(1).max(100).optional().describe("Who is deciding, for the audit trail"),
});
const STATUSES = ["pending", "approved", "denied", "expired", "cancelled", "executing", "succeeded", "failed", "outcome_unknown"] as const;
const ListQuery = z.object({
  status: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",") : undefined))
    .pipe(z.array(z.enum(STATUSES)).optional()),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function createApprovalsRouter(service: ApprovalService): Router {
  const router = Router();

  router.get("/", async (req, res) => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) return problem(res, 400, "invalid_query", query.error.issues.map((i) => i.message).join("; "));
    res.json({ approvals: (await service.list({ statuses: query.data.status as ApprovalStatus[] | undefined, limit: query.data.limit })).map(publicView) });
  });

  router.get("/:id", async (req, res) => {
    const approval = await service.get(req.params.id);
    if (!approval) return problem(res, 404, "not_found", `No approval ${req.params.id}`);
    res.json(publicView(approval));
  });

  router.post("/:id/:decision", async (req, res) => {
    const decision = req.params.decision;
    if (decision !== "approve" && decision !== "deny") return problem(res, 404, "not_found", "Use /approve or /deny");
    const body = Decision.safeParse(req.body ?? {});
    if (!body.success) return problem(res, 400, "invalid_body", body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const actor = body.data.actor ?? "api";
    const outcome = await service.vote(req.params.id, { id: `admin:${actor}`, display: `${actor} (admin API)`, isOperator: true }, decision, body.data.reason);
    switch (outcome.kind) {
      case "not_found":
        return problem(res, 404, "not_found", `No approval ${req.params.id}`);
      case "already_decided":
        return problem(res, 409, "already_decided", `Approval ${req.params.id} is already ${outcome.approval.status}; nothing changed.`);
      case "duplicate":
        return problem(res, 409, "duplicate_vote", `${actor} already voted on approval ${req.params.id}.`);
      case "not_allowed":
        return problem(res, 403, "not_allowed", outcome.reason);
      default:
        res.json({ outcome: outcome.kind, approval: publicView(outcome.approval) });
    }
  });
  return router;
}

/** What the API shows: everything but the sealed arguments (only their redacted form). */
export function publicView(approval: Awaited<ReturnType<ApprovalService["get"]>> & object) {
  const { argsSealed: _sealed, ...rest } = approval;
  return rest;
}

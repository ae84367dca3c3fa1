// /api/approvals: list, show and decide approvals without Slack. The admin token votes as "admin"; a
// reviewer token votes as that reviewer (their Slack user when linked). The body cannot choose who votes.
import { Router } from "express";
import { z } from "zod";
import type { ApprovalService, ApprovalStatus } from "../approvals/index.ts";
import { callerOf, voterOf } from "./auth.ts";
import { problem } from "./errors.ts";

const Decision = z.strictObject({ reason: z.string().max(2000).optional() });
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
    const voter = voterOf(callerOf(res));
    const raw: unknown = req.body ?? {};
    if (typeof raw === "object" && raw !== null && "actor" in raw) {
      return problem(res, 400, "actor_not_accepted", `"actor" is not accepted: votes are cast as the person the credential belongs to (this one votes as ${voter.id}). Send only "reason", with the token of the person who decides.`);
    }
    const body = Decision.safeParse(raw);
    if (!body.success) return problem(res, 400, "invalid_body", body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const outcome = await service.vote(req.params.id, { voter, vote: decision, reason: body.data.reason });
    switch (outcome.kind) {
      case "not_found":
        return problem(res, 404, "not_found", `No approval ${req.params.id}`);
      case "already_decided":
        return problem(res, 409, "already_decided", `Approval ${req.params.id} is already ${outcome.approval.status}; nothing changed.`);
      case "duplicate":
        return problem(res, 409, "duplicate_vote", `${voter.id} already voted on approval ${req.params.id}; a person's vote counts once.`);
      case "not_allowed":
        return problem(res, 403, "not_allowed", `${voter.id} may not ${decision} this call: ${outcome.reason}`);
      default:
        res.json({ outcome: outcome.kind, voter: voter.id, approval: publicView(outcome.approval) });
    }
  });
  return router;
}

/** What the API shows: everything but the sealed arguments (only their redacted form). */
export function publicView(approval: Awaited<ReturnType<ApprovalService["get"]>> & object) {
  const { argsSealed: _sealed, ...rest } = approval;
  return rest;
}

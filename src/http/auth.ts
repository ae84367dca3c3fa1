// Who is calling /api: the shared admin token (an operator, who votes as the one person "admin") or a
// reviewer's own token (votes as that reviewer). Reviewers may read and decide approvals; every other
// /api endpoint is the admin's. Shared by app.ts and api.ts so neither imports the other.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { ADMIN_VOTER, reviewerVoter } from "../approvals/voters.ts";
import type { Voter } from "../approvals/types.ts";
import type { Reviewer, ReviewerStore } from "../reviewers/index.ts";
import { problem } from "./errors.ts";

export type ApiCaller = { kind: "admin" } | { kind: "reviewer"; reviewer: Reviewer };

export function bearerToken(req: Request): string | null {
  const header = req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
}

export function isAdminToken(token: string | null, adminToken: string | undefined): boolean {
  if (!token || !adminToken) return false;
  const a = createHash("sha256").update(token).digest();
  const b = createHash("sha256").update(adminToken).digest();
  return timingSafeEqual(a, b);
}

/** Sets the caller for the routes after it, or answers 401 (503 when no admin token is configured). */
export function authenticateApiCaller(deps: { adminToken: string | undefined; reviewers: ReviewerStore }): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    const reviewer = token && !isAdminToken(token, deps.adminToken) ? await deps.reviewers.authenticate(token) : null;
    const caller: ApiCaller | null = isAdminToken(token, deps.adminToken) ? { kind: "admin" } : reviewer ? { kind: "reviewer", reviewer } : null;
    if (caller) {
      res.locals.caller = caller;
      return next();
    }
    if (!deps.adminToken) return problem(res, 503, "admin_api_disabled", "Set GATEHOUSE_ADMIN_TOKEN to enable the admin API (reviewer tokens work on /api/approvals).");
    problem(res, 401, "unauthorized", "Send Authorization: Bearer <GATEHOUSE_ADMIN_TOKEN>, or a reviewer token (gatehouse reviewers add) for /api/approvals.");
  };
}

/** Refuses reviewer tokens: the routes after it are for the admin only. */
export const adminOnly: RequestHandler = (_req, res, next) => {
  if (callerOf(res).kind === "admin") return next();
  problem(res, 403, "admin_only", "Reviewer tokens may list, show and decide approvals (/api/approvals) only; this endpoint needs GATEHOUSE_ADMIN_TOKEN.");
};

export function callerOf(res: Response): ApiCaller {
  return res.locals.caller as ApiCaller;
}

/** The person a caller votes as: "admin", or the reviewer (their Slack user when linked). */
export function voterOf(caller: ApiCaller): Voter {
  return caller.kind === "admin" ? ADMIN_VOTER : reviewerVoter(caller.reviewer);
}

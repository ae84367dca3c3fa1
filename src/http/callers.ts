// Who is calling the admin API or the dashboard: the shared admin token (an operator, who votes as the one
// person "admin"), a reviewer's own token, or a dashboard session (signed in with either token or with single
// sign-on). Cookie-authenticated state changes must carry the session's CSRF token and, when the browser sends
// one, an Origin of this very server.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Request } from "express";
import { ADMIN_VOTER, reviewerVoter } from "../approvals/voters.ts";
import type { Voter } from "../approvals/types.ts";
import type { Reviewer, ReviewerStore } from "../reviewers/index.ts";
import { isCsrfTokenValid, SESSION_COOKIE, type Session, type SessionStore } from "../sessions/index.ts";

export type Role = "admin" | "reviewer";

export interface Caller {
  /** The person: "admin", "reviewer:alice", "slack:U0ALICE", "oidc:alice@example.com". */
  person: string;
  role: Role;
  displayName: string;
  /** The credential this request carried. */
  via: "admin_token" | "reviewer_token" | "session";
  /** How this person's votes count. */
  voter: Voter;
  /** Set when the request was authenticated by the dashboard's session cookie. */
  session: (Session & { id: string }) | null;
}

export interface CallerDeps {
  adminToken: string | undefined;
  reviewers: ReviewerStore;
  sessions: SessionStore;
}

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
}

export function isAdminToken(token: string | null, adminToken: string | undefined): boolean {
  if (!token || !adminToken) return false;
  const a = createHash("sha256").update(token).digest();
  const b = createHash("sha256").update(adminToken).digest();
  return timingSafeEqual(a, b);
}

/** Reads one cookie from the Cookie header (no parser middleware needed for one value). */
export function readCookie(req: Request, name: string): string | null {
  const header = req.header("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

export function adminCaller(via: Caller["via"] = "admin_token", session: Caller["session"] = null): Caller {
  return { person: ADMIN_VOTER.id, role: "admin", displayName: "admin", via, voter: ADMIN_VOTER, session };
}

export function reviewerCaller(reviewer: Reviewer): Caller {
  const voter = reviewerVoter(reviewer);
  return { person: voter.id, role: "reviewer", displayName: reviewer.name, via: "reviewer_token", voter, session: null };
}

/** A token (admin or reviewer) as the person it belongs to, or null. */
export async function callerForToken(token: string, deps: Pick<CallerDeps, "adminToken" | "reviewers">): Promise<Caller | null> {
  if (isAdminToken(token, deps.adminToken)) return adminCaller();
  const reviewer = await deps.reviewers.authenticate(token);
  return reviewer ? reviewerCaller(reviewer) : null;
}

export function sessionCaller(session: Session & { id: string }): Caller {
  if (session.role === "admin" && session.person === ADMIN_VOTER.id) return adminCaller("session", session);
  const voter: Voter = {
    id: session.person,
    slackUserId: session.slackUserId,
    isOperator: false,
    via: session.via === "oidc" ? `oidc:${session.displayName}` : session.reviewerId ? `reviewer:${session.displayName}` : session.person,
  };
  return { person: session.person, role: session.role, displayName: session.displayName, via: "session", voter, session };
}

/** The caller of this request (bearer token first, then the session cookie), or null. */
export async function authenticateCaller(req: Request, deps: CallerDeps): Promise<Caller | null> {
  const token = bearerToken(req);
  if (token) return callerForToken(token, deps);
  const cookie = readCookie(req, SESSION_COOKIE);
  if (!cookie) return null;
  const session = await deps.sessions.authenticate(cookie);
  return session ? sessionCaller({ ...session, id: cookie }) : null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why a cookie-authenticated request may not change state, or null when it may: the CSRF token (header
 * `X-CSRF-Token` or form field `_csrf`) must match the session's, and a browser-sent Origin must be ours.
 * Bearer-token requests are not exposed to CSRF (browsers never attach them on their own).
 */
export function csrfProblem(req: Request, caller: Caller): string | null {
  if (!caller.session || SAFE_METHODS.has(req.method)) return null;
  const origin = req.header("origin");
  if (origin && origin !== "null" && !isSameOrigin(req, origin)) return `cross-origin request from ${origin} refused`;
  if (origin === "null") return "cross-origin request (Origin: null) refused";
  const body = req.body as Record<string, unknown> | undefined;
  const presented = req.header("x-csrf-token") ?? (typeof body?._csrf === "string" ? body._csrf : null);
  return isCsrfTokenValid(caller.session, presented) ? null : "missing or wrong CSRF token: reload the page and try again";
}

export function isSameOrigin(req: Request, origin: string): boolean {
  try {
    return new URL(origin).host === req.header("host");
  } catch {
    return false;
  }
}

// Dashboard sessions: a person signs in once (admin token, reviewer token, or single sign-on) and gets a
// random session id in an HttpOnly cookie. Only the id's SHA-256 is stored, with who the session acts as
// and the CSRF token its state changes must carry. A session backed by a reviewer stops working the moment
// that reviewer is removed; every session ends at its expiry or when signed out.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { dashboardSessions, reviewers, type Database, type DashboardSessionRow } from "../db/index.ts";
import { hashToken } from "../grants/tokens.ts";

export type SessionRole = "admin" | "reviewer";
export type SignInMethod = "admin_token" | "reviewer_token" | "oidc";

export interface SessionIdentity {
  /** The person votes count as: "admin", "reviewer:alice", "slack:U0ALICE", "oidc:alice@example.com". */
  person: string;
  role: SessionRole;
  displayName: string;
  via: SignInMethod;
  /** The reviewer row behind the sign-in, re-checked on every request. */
  reviewerId: string | null;
  slackUserId: string | null;
}

export interface Session extends SessionIdentity {
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface SessionStore {
  /** Opens a session; `id` goes into the cookie and is never stored. */
  create(identity: SessionIdentity): Promise<{ id: string; session: Session }>;
  /** The live session for a cookie value, or null (unknown, expired, signed out, reviewer removed). */
  authenticate(id: string): Promise<Session | null>;
  revoke(id: string): Promise<void>;
  /** Deletes sessions that ended more than a day ago. */
  purge(): Promise<number>;
}

export const SESSION_COOKIE = "gatehouse_session";

export function createSessionStore(database: Database, options: { ttlMs: number; now?: () => Date }): SessionStore {
  const { db } = database;
  const now = options.now ?? (() => new Date());
  return {
    async create(identity) {
      const id = randomBytes(32).toString("base64url");
      const createdAt = now();
      const values = {
        idHash: hashToken(id),
        ...identity,
        csrfToken: randomBytes(32).toString("base64url"),
        createdAt,
        expiresAt: new Date(createdAt.getTime() + options.ttlMs),
      };
      const [row] = await db.insert(dashboardSessions).values(values).returning();
      return { id, session: toSession(row!) };
    },

    async authenticate(id) {
      const at = now();
      const [found] = await db
        .select({ session: dashboardSessions, reviewerRemovedAt: reviewers.removedAt, reviewerId: reviewers.id })
        .from(dashboardSessions)
        .leftJoin(reviewers, sql`${reviewers.id}::text = ${dashboardSessions.reviewerId}`)
        .where(and(eq(dashboardSessions.idHash, hashToken(id)), isNull(dashboardSessions.revokedAt), gt(dashboardSessions.expiresAt, at)));
      if (!found) return null;
      if (found.session.reviewerId && (found.reviewerId === null || found.reviewerRemovedAt !== null)) return null;
      return toSession(found.session);
    },

    async revoke(id) {
      await db.update(dashboardSessions).set({ revokedAt: now() }).where(eq(dashboardSessions.idHash, hashToken(id)));
    },

    async purge() {
      const dayAgo = new Date(now().getTime() - 86_400_000);
      const gone = await db
        .delete(dashboardSessions)
        .where(or(lt(dashboardSessions.expiresAt, dayAgo), lt(dashboardSessions.revokedAt, dayAgo)))
        .returning({ idHash: dashboardSessions.idHash });
      return gone.length;
    },
  };
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function isCsrfTokenValid(session: Session, presented: string | undefined | null): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toSession(row: DashboardSessionRow): Session {
  return {
    person: row.person,
    role: row.role as SessionRole,
    displayName: row.displayName,
    via: row.via as SignInMethod,
    reviewerId: row.reviewerId,
    slackUserId: row.slackUserId,
    csrfToken: row.csrfToken,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}

// Reviewer credentials: one per person who decides outside Slack. The token is shown once; the database keeps
// its SHA-256. Lookups are not cached, so removing a reviewer stops its token at once in every process.
import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { reviewerVoter, SLACK_USER_ID } from "../approvals/voters.ts";
import { reviewers, type Database, type ReviewerRow } from "../db/index.ts";
import { generateToken, hashToken } from "../grants/tokens.ts";

/** Reviewer tokens look different from grant tokens (ghk_), so the two are not mixed up. */
export const REVIEWER_TOKEN_PREFIX = "ghr_";
/** Names end up in person ids (`reviewer:<name>`), the audit trail and Slack text: keep them plain. */
export const REVIEWER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface Reviewer {
  id: string;
  name: string;
  /** Linked Slack user: this reviewer and that Slack user are one person. */
  slackUserId: string | null;
  /** Identity at the single sign-on provider (email, or issuer subject): signing in with it acts as this reviewer. */
  oidcIdentity: string | null;
  createdAt: Date;
  removedAt: Date | null;
  /** The person votes count: `slack:<U…>` when linked, `reviewer:<name>` otherwise. */
  personId: string;
}

export type AddReviewerResult = { ok: true; reviewer: Reviewer; token: string } | { ok: false; reason: string };

export interface ReviewerStore {
  /** Creates the reviewer, or gives a removed one a fresh token; refuses a name that is in use. */
  add(name: string, options?: { slackUserId?: string; oidcIdentity?: string }): Promise<AddReviewerResult>;
  list(options?: { includeRemoved?: boolean }): Promise<Reviewer[]>;
  /** False when no active reviewer has this name. */
  remove(name: string): Promise<boolean>;
  /** The active reviewer whose token this is, or null (unknown or removed). */
  authenticate(token: string): Promise<Reviewer | null>;
  /** The active reviewer linked to this single sign-on identity (compared case-insensitively), or null. */
  findByOidcIdentity(identity: string): Promise<Reviewer | null>;
}

export function createReviewerStore(database: Database): ReviewerStore {
  const { db } = database;
  return {
    async add(name, options = {}) {
      if (!REVIEWER_NAME.test(name)) return { ok: false, reason: `"${name}" is not a valid reviewer name: use letters, digits, ".", "_" or "-" (at most 64)` };
      const slackUserId = options.slackUserId ?? null;
      if (slackUserId !== null && !SLACK_USER_ID.test(slackUserId)) return { ok: false, reason: `"${slackUserId}" is not a Slack user id (U… or W…)` };
      const oidcIdentity = options.oidcIdentity?.trim().toLowerCase() || null;
      const token = generateToken(REVIEWER_TOKEN_PREFIX);
      const tokenHash = hashToken(token);
      // A removed reviewer's name may be reused: the row (and its person id) comes back with a new token.
      const insert = db
        .insert(reviewers)
        .values({ name, tokenHash, slackUserId, oidcIdentity })
        .onConflictDoUpdate({
          target: reviewers.name,
          set: { tokenHash, slackUserId, oidcIdentity, createdAt: sql`now()`, removedAt: null },
          setWhere: isNotNull(reviewers.removedAt),
        })
        .returning();
      let rows: ReviewerRow[];
      try {
        rows = await insert;
      } catch (error) {
        if (isUniqueViolation(error) && oidcIdentity) return { ok: false, reason: `The sign-on identity "${oidcIdentity}" is already linked to another reviewer` };
        throw error;
      }
      const row = rows[0];
      if (!row) return { ok: false, reason: `A reviewer named "${name}" already exists (remove it first or pick another name)` };
      return { ok: true, reviewer: toReviewer(row), token };
    },
    async list(options = {}) {
      const rows = await db
        .select()
        .from(reviewers)
        .where(options.includeRemoved ? undefined : isNull(reviewers.removedAt))
        .orderBy(asc(reviewers.name));
      return rows.map(toReviewer);
    },
    async remove(name) {
      const rows = await db
        .update(reviewers)
        .set({ removedAt: new Date(), oidcIdentity: null })
        .where(and(eq(reviewers.name, name), isNull(reviewers.removedAt)))
        .returning({ id: reviewers.id });
      return rows.length > 0;
    },
    async authenticate(token) {
      const [row] = await db
        .select()
        .from(reviewers)
        .where(and(eq(reviewers.tokenHash, hashToken(token)), isNull(reviewers.removedAt)));
      return row ? toReviewer(row) : null;
    },
    async findByOidcIdentity(identity) {
      const [row] = await db
        .select()
        .from(reviewers)
        .where(and(eq(reviewers.oidcIdentity, identity.trim().toLowerCase()), isNull(reviewers.removedAt)));
      return row ? toReviewer(row) : null;
    },
  };
}

function toReviewer(row: ReviewerRow): Reviewer {
  return {
    id: row.id,
    name: row.name,
    slackUserId: row.slackUserId,
    oidcIdentity: row.oidcIdentity,
    createdAt: row.createdAt,
    removedAt: row.removedAt,
    personId: reviewerVoter(row).id,
  };
}

/** Postgres 23505, whether the driver error arrives bare or wrapped by drizzle. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  return e?.code === "23505" || e?.cause?.code === "23505";
}

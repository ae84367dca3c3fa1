// People who decide held calls outside Slack (API, CLI, dashboard). Each has their own credential, shown
// once and stored as a SHA-256; a reviewer linked to a Slack user id is that Slack user when votes count.
// Removed reviewers keep their row (the audit names them); `removed_at` switches the credential off.
import { pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, optionalTime, primaryId } from "./columns.ts";

export const reviewers = pgTable("reviewers", {
  id: primaryId(),
  name: text("name").notNull().unique(),
  tokenHash: text("token_hash").notNull().unique(),
  slackUserId: text("slack_user_id"),
  /** The person's identity at the OpenID Connect provider (email, or `sub`), so a dashboard sign-in is this reviewer. */
  oidcIdentity: text("oidc_identity").unique(),
  createdAt: createdAt(),
  removedAt: optionalTime("removed_at"),
});

export type ReviewerRow = typeof reviewers.$inferSelect;

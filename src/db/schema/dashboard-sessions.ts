// Signed-in dashboard users. The cookie carries a random id; only its SHA-256 is stored, with the person
// it acts as and the CSRF token every state change must present. Rows outlive restarts and are shared by
// replicas, so a session works on any gateway behind a load balancer.
import { index, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, optionalTime } from "./columns.ts";

export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    /** The voter id this session acts as: "admin", "reviewer:alice", "slack:U0ALICE", "oidc:<issuer>#<sub>". */
    person: text("person").notNull(),
    /** "admin" or "reviewer". */
    role: text("role").notNull(),
    displayName: text("display_name").notNull(),
    /** How the person signed in: "admin_token", "reviewer_token", "oidc". */
    via: text("via").notNull(),
    /** The reviewer row behind a reviewer-token or linked OIDC sign-in (re-checked on every request). */
    reviewerId: text("reviewer_id"),
    /** Slack user the person is (reviewer linked to Slack), for approver checks. */
    slackUserId: text("slack_user_id"),
    csrfToken: text("csrf_token").notNull(),
    createdAt: createdAt(),
    expiresAt: optionalTime("expires_at").notNull(),
    lastSeenAt: optionalTime("last_seen_at"),
    revokedAt: optionalTime("revoked_at"),
  },
  (t) => [index("dashboard_sessions_expires_idx").on(t.expiresAt)],
);

export type DashboardSessionRow = typeof dashboardSessions.$inferSelect;

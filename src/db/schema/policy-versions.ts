// Every saved version of an upstream's policy file, so an edit can be reviewed, diffed and rolled back.
// The file on disk stays the source the gateway loads; a save writes the file atomically and records the
// version here in the same step (the file's SHA-256 ties the two together).
import { integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, primaryId } from "./columns.ts";

export const policyVersions = pgTable(
  "policy_versions",
  {
    id: primaryId(),
    upstream: text("upstream").notNull(),
    version: integer("version").notNull(),
    content: text("content").notNull(),
    sha256: text("sha256").notNull(),
    /** "file" (seen on disk, edited outside Gatehouse), "dashboard", "api", "cli", "rollback". */
    source: text("source").notNull(),
    /** The person who saved it ("admin", "reviewer:alice", "oidc:…"), or "system" for a file seen on disk. */
    createdBy: text("created_by").notNull(),
    comment: text("comment"),
    /** For a rollback: the version whose content was restored. */
    restoredFrom: integer("restored_from"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("policy_versions_upstream_version_idx").on(t.upstream, t.version)],
);

export type PolicyVersionRow = typeof policyVersions.$inferSelect;

// Agent credentials. Only a SHA-256 of the token is stored; the token itself is shown once.
import { jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, optionalTime, primaryId } from "./columns.ts";

export const grants = pgTable("grants", {
  id: primaryId(),
  name: text("name").notNull().unique(),
  tokenHash: text("token_hash").notNull().unique(),
  owner: text("owner"),
  labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
  createdAt: createdAt(),
  revokedAt: optionalTime("revoked_at"),
});

export type GrantRow = typeof grants.$inferSelect;

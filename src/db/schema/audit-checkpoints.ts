// Signed checkpoints of the audit chain head (Ed25519). The copy that matters is the one written to the
// configured sink (a file, a webhook) outside the database; this table lets the gateway and `audit verify`
// know the last one without reading the sink.
import { bigint, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

export const auditCheckpoints = pgTable("audit_checkpoints", {
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  hash: text("hash").notNull(),
  /** Events in the chain up to and including `seq`. */
  count: bigint("count", { mode: "number" }).notNull(),
  keyId: text("key_id").notNull(),
  signature: text("signature").notNull(),
  createdAt: createdAt(),
});

export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;

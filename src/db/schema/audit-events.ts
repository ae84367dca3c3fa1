// Append-only, hash-chained log of every decision and transition. A trigger (migration 0001) refuses
// UPDATE and DELETE; `hash = sha256(prev_hash || canonical row)` lets `gatehouse audit verify` find edits.
import { bigserial, index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: uuid("id").notNull().unique(),
    at: createdAt(),
    type: text("type").notNull(),
    actor: text("actor").notNull(),
    callId: uuid("call_id"),
    upstream: text("upstream"),
    tool: text("tool"),
    decision: text("decision"),
    rule: text("rule"),
    reason: text("reason"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [index("audit_events_at_idx").on(t.at), index("audit_events_call_idx").on(t.callId)],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;

// Agents attached to an approval right now: one row per held request or status call that waits for
// it. "Agent waiting" in the reviewer's message is a live row; an approved call runs only for one.
// Rows carry their own deadline, so a row a crashed or partitioned gateway could not delete lapses.
import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { optionalTime } from "./columns.ts";

export const approvalWaiters = pgTable(
  "approval_waiters",
  {
    id: uuid("id").primaryKey(),
    approvalId: uuid("approval_id").notNull(),
    instanceId: text("instance_id").notNull(),
    attachedAt: optionalTime("attached_at").notNull().defaultNow(),
    until: optionalTime("until").notNull(),
  },
  (t) => [index("approval_waiters_approval_idx").on(t.approvalId)],
);

// One vote per (approval, person): a double click counts once, and quorum counts distinct people.
import { pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

export const approvalVotes = pgTable(
  "approval_votes",
  {
    approvalId: uuid("approval_id").notNull(),
    voter: text("voter").notNull(),
    vote: text("vote").notNull(),
    reason: text("reason"),
    createdAt: createdAt(),
  },
  (t) => [unique("approval_votes_once").on(t.approvalId, t.voter)],
);

export type ApprovalVoteRow = typeof approvalVotes.$inferSelect;

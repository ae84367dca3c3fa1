// Signatures of Slack requests already accepted, so a replayed request (same signature inside the
// 5-minute window) is refused by every gateway process. Rows older than the window are purged.
import { pgTable, text } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

export const slackRequests = pgTable("slack_requests", {
  signature: text("signature").primaryKey(),
  receivedAt: createdAt(),
});

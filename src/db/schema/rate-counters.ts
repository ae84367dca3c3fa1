// Fixed-window counters for the SQL quota store (used when REDIS_URL is not set).
import { bigint, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

export const rateCounters = pgTable(
  "rate_counters",
  {
    key: text("key").notNull(),
    windowStart: bigint("window_start", { mode: "number" }).notNull(),
    count: integer("count").notNull(),
    expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);

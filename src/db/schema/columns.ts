// Column helpers shared by every table, so timestamps and ids look the same everywhere.
import { timestamp, uuid } from "drizzle-orm/pg-core";

export const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
export const optionalTime = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const primaryId = () => uuid("id").primaryKey().defaultRandom();

// Liveness of gateway processes. Held requests and executions belong to an instance; when its
// heartbeat stops, the reaper cancels its held requests and marks its executions outcome_unknown.
import { pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, optionalTime } from "./columns.ts";

export const gatewayInstances = pgTable("gateway_instances", {
  id: text("id").primaryKey(),
  startedAt: createdAt(),
  heartbeatAt: optionalTime("heartbeat_at").notNull().defaultNow(),
  stoppedAt: optionalTime("stopped_at"),
});

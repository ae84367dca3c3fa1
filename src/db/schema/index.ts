export { auditEvents, type AuditEventRow } from "./audit-events.ts";
export { grants, type GrantRow } from "./grants.ts";
export { rateCounters } from "./rate-counters.ts";
export { toolCalls, type ToolCallRow } from "./tool-calls.ts";

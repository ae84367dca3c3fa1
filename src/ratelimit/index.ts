export { buildQuotaRequests, retryAfterSeconds, type LimitSpec, type QuotaRequest, type QuotaSubject } from "./keys.ts";
export { createRedisQuotaStore } from "./redis-store.ts";
export { createSqlQuotaStore } from "./sql-store.ts";
export { NO_RESERVATION, type QuotaStore, type Reservation, type ReserveResult } from "./store.ts";

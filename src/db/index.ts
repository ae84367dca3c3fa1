export { connectDatabase, quoteIdent, type Database, type Db } from "./client.ts";
export { openEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
export { migrateDatabase, MIGRATIONS_FOLDER } from "./migrate.ts";
export { auditEvents, grants, rateCounters, toolCalls, type AuditEventRow, type GrantRow, type ToolCallRow } from "./schema/index.ts";

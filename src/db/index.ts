export { connectDatabase, quoteIdent, type Database, type Db } from "./client.ts";
export { EMBEDDED_QUEUE_SCHEMA, openEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
export { migrateDatabase, MIGRATIONS_FOLDER } from "./migrate.ts";
export {
  approvals,
  approvalVotes,
  approvalWaiters,
  auditEvents,
  gatewayInstances,
  grants,
  mcpTasks,
  rateCounters,
  reviewers,
  slackRequests,
  toolCalls,
  type ApprovalRow,
  type ApprovalSpecColumn,
  type ApprovalVoteRow,
  type AuditEventRow,
  type GrantRow,
  type McpTaskRow,
  type ReviewerRow,
  type ToolCallRow,
} from "./schema/index.ts";

export { connectDatabase, queryWithin, quoteIdent, statement, type Database, type Db } from "./client.ts";
export { startDeadline, withinDeadline } from "./deadline.ts";
export { EMBEDDED_QUEUE_SCHEMA, hasEmbeddedDatabase, openEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
export { listenToChannel, schemaChannel, type ChannelListener } from "./listen.ts";
export { migrateDatabase, MIGRATIONS_FOLDER } from "./migrate.ts";
export {
  approvals,
  approvalVotes,
  approvalWaiters,
  auditCheckpoints,
  auditEvents,
  dashboardSessions,
  gatewayInstances,
  grants,
  mcpTasks,
  policyVersions,
  rateCounters,
  reviewers,
  slackRequests,
  toolCalls,
  type ApprovalRow,
  type ApprovalSpecColumn,
  type ApprovalVoteRow,
  type AuditCheckpointRow,
  type AuditEventRow,
  type DashboardSessionRow,
  type GrantRow,
  type McpTaskRow,
  type PolicyVersionRow,
  type ReviewerRow,
  type ToolCallRow,
} from "./schema/index.ts";

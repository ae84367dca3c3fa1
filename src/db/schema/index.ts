export { approvalVotes, type ApprovalVoteRow } from "./approval-votes.ts";
export { approvals, type ApprovalRow, type ApprovalSpecColumn } from "./approvals.ts";
export { auditEvents, type AuditEventRow } from "./audit-events.ts";
export { gatewayInstances } from "./gateway-instances.ts";
export { grants, type GrantRow } from "./grants.ts";
export { mcpTasks, type McpTaskRow } from "./mcp-tasks.ts";
export { rateCounters } from "./rate-counters.ts";
export { slackRequests } from "./slack-requests.ts";
export { toolCalls, type ToolCallRow } from "./tool-calls.ts";

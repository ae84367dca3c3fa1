export { APPROVAL_QUEUE_NAMES, createApprovalQueues, type ApprovalJobEvent, type ApprovalJobOutcome, type ApprovalQueueDeps, type ApprovalQueueKind, type ApprovalQueues, type QueueBackendConfig, type RetryPolicy } from "./queues.ts";
export { updateApprovalMessage, updateJobId } from "./jobs.ts";
export { startQueues } from "./setup.ts";

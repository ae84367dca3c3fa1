export { TaskProtocolError } from "./errors.ts";
export { createTaskLedger, type TaskLedger } from "./ledger.ts";
export { TERMINAL_TASK_STATUSES, type GatewayTask, type TaskStatus, type TerminalTaskStatus } from "./rows.ts";
export {
  cancelledResult,
  createFinishedTask,
  createTaskForCall,
  DEFAULT_CANCEL_MESSAGE,
  HELD_TASK_CANCELLED,
  installTaskCancellation,
  isTaskRequested,
  MODEL_IMMEDIATE_RESPONSE_META_KEY,
  TASK_CAPABILITIES,
  taskServerOptions,
  taskStatusFor,
  type CallTaskOptions,
  type TaskCancelHook,
  type TaskCancellation,
} from "./server.ts";
export {
  createPostgresTaskStore,
  effectiveTtl,
  TASK_DEFAULTS,
  type CancelTaskOutcome,
  type PostgresTaskStore,
  type TaskCreationContext,
  type TaskStoreOptions,
} from "./store.ts";

export { createSlackApp, type SlackApp, type SlackAppDeps } from "./app.ts";
export {
  APPROVE_ACTION,
  approvalMessage,
  DENY_ACTION,
  DENY_REASON_ACTION,
  DENY_REASON_BLOCK,
  DENY_REASON_INPUT,
  DENY_REASON_MODAL,
  denyReasonModal,
  pendingMessage,
  resolvedMessage,
  type SlackMessage,
} from "./blocks.ts";
export { createSlackClient, type SlackClientOptions, type WebClient } from "./client.ts";
export { createSlackDirectory, type SlackDirectory } from "./directory.ts";
export { createSlackNotifier, type SlackNotifierOptions } from "./notifier.ts";
export { checkSlackSignature, computeSlackSignature, MAX_CLOCK_SKEW_SECONDS, type SignatureCheck } from "./verify.ts";

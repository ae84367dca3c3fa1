export { bindingHash, openArguments, sealArguments } from "./binding.ts";
export { createApprovalBus, type ApprovalBus, type ApprovalChange } from "./bus.ts";
export { createApprovalExecutor, type ApprovalExecutor } from "./executor.ts";
export { createApprovalFollower, type ApprovalFollower, type FollowOptions } from "./follow.ts";
export { createHoldHandler, type ApprovalNotifications } from "./hold.ts";
export { createHoldSettingsResolver, DEFAULT_PENDING_TEXT, renderPendingText, type HoldSettings, type HoldSettingsResolver, type HoldSettingsSource } from "./hold-settings.ts";
export { createApprovalRepository, type ApprovalRepository } from "./repository.ts";
export { finalResult, pendingAnswer, STATUS_TOOL_NAME } from "./results.ts";
export { startApprovalRuntime, type ApprovalRuntime, type RuntimeTimings } from "./runtime.ts";
export { createApprovalService, REVOKED_REASON, type ApprovalCore } from "./service.ts";
export type { ApprovalService } from "./service-types.ts";
export { createApprovalStatusTool } from "./status-tool.ts";
export {
  isOpen,
  isTerminal,
  isUnclaimedExpiry,
  type AgentPresence,
  type Approval,
  type ApprovalNotifier,
  type ApprovalSpec,
  type ApprovalStatus,
  type Ballot,
  type HoldMode,
  type SlackMessageRef,
  type Vote,
  type Voter,
  type VoteChannel,
  type VoteOutcome,
} from "./types.ts";
export { ADMIN_VOTER, parseVoterId, plainText, renderVoter, reviewerVoter, SLACK_USER_ID, slackVoter, type VoterAudience } from "./voters.ts";
export { TASK_CANCEL_REASON } from "./task-sync.ts";

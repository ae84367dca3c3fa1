export { createApprovalBus, type ApprovalBus, type ApprovalChange } from "./bus.ts";
export { createApprovalExecutor, type ApprovalExecutor } from "./executor.ts";
export { bindingHash, createHoldHandler, type ApprovalNotifications, type HoldSettings } from "./hold.ts";
export { createApprovalRepository, type ApprovalRepository } from "./repository.ts";
export { finalResult, STATUS_TOOL_NAME, ticketResult } from "./results.ts";
export { startApprovalRuntime, type ApprovalRuntime, type RuntimeTimings } from "./runtime.ts";
export { createApprovalService, type ApprovalCore } from "./service.ts";
export type { ApprovalService } from "./service-types.ts";
export { createApprovalStatusTool } from "./status-tool.ts";
export {
  isTerminal,
  type Approval,
  type ApprovalNotifier,
  type ApprovalSpec,
  type ApprovalStatus,
  type Ballot,
  type HoldMode,
  type SlackMessageRef,
  type Vote,
  type Voter,
  type VoteOutcome,
} from "./types.ts";
export { ADMIN_VOTER, parseVoterId, plainText, renderVoter, reviewerVoter, slackVoter, type VoterAudience } from "./voters.ts";

export { canonicalJson, sha256Hex } from "./canonical.ts";
export { chainHash, GENESIS_HASH, type ChainedFields } from "./chain.ts";
export type { AuditEntry, AuditEventInput, ToolCallInput } from "./entry.ts";
export {
  checkpointFile,
  checkpointLine,
  checkpointMessage,
  createCheckpointer,
  createFileSink,
  createWebhookSink,
  isValidSignature,
  listCheckpoints,
  loadSigningKey,
  parseCheckpointLines,
  parsePublicKey,
  parseSigningKey,
  readSigningKeyFile,
  SIGNING_KEY_FILE,
  startCheckpoints,
  type Checkpointer,
  type CheckpointSink,
  type PublicKeyInfo,
  type SignedCheckpoint,
  type SigningKey,
} from "./checkpoints/index.ts";
export type { CheckedEvent } from "./events.ts";
export { mergeIntegrity, type Integrity } from "./fold.ts";
export { csvCell, formatAuditEvents, formatDuration, formatToolCalls, integrityWord, OUTPUT_FORMATS, type OutputFormat } from "./format.ts";
export { CALL_STATUS_OF_APPROVAL } from "./legacy.ts";
export {
  DEFAULT_PAGE_SIZE,
  globToLike,
  InvalidAuditQueryError,
  listAuditEvents,
  listToolCalls,
  MAX_PAGE_SIZE,
  type AuditEventFilters,
  type EventRow,
  type Page,
  type ToolCallFilters,
} from "./query.ts";
export { parseExpectedHead } from "./head.ts";
export { verifyAudit, type CheckpointReport, type RowProblem, type VerifyOptions, type VerifyReport } from "./report.ts";
export { RESULT_TEXT_LIMIT, summarizeResult, type ResultSummary } from "./result.ts";
export { checkApprovals, checkApprovalsSettled, checkCallRows, type ApprovalView, type CallRow, type ChainArguments, type CheckedApproval, type VoteView } from "./rows.ts";
export { getCallStory, type CallStory, type StoryApproval, type StoryExecution, type TimelineStep } from "./story.ts";
export { approvalsNeeded, chainSummary, renderCallStory, voteMeans } from "./story-text.ts";
export { EARLIEST_QUERY_TIME, LATEST_QUERY_TIME, parseSince } from "./since.ts";
export type { ApprovalSnapshot, CallSnapshot, VoteSnapshot } from "./snapshot.ts";
export { isSecretKey, looksRandom, REDACTED, redactArguments, redactText } from "./redact.ts";
export { fromStorableJson, fromStorableText, hasUnstorableText, toStorableJson, toStorableText } from "./storable.ts";
export { verifyAuditChain, walkChain, type ChainWalk, type VerifyResult } from "./verify.ts";
export { createAuditWriter, type AuditWriter, type AuditWriterOptions, type AuditWriterStatus, type AuditWriteObserver } from "./writer.ts";

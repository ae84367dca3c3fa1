export { canonicalJson, sha256Hex } from "./canonical.ts";
export { chainHash, GENESIS_HASH, type ChainedFields } from "./chain.ts";
export type { AuditEntry, AuditEventInput, ToolCallInput } from "./entry.ts";
export { csvCell, formatAuditEvents, formatToolCalls, OUTPUT_FORMATS, type OutputFormat } from "./format.ts";
export {
  DEFAULT_PAGE_SIZE,
  globToLike,
  InvalidAuditQueryError,
  listAuditEvents,
  listToolCalls,
  MAX_PAGE_SIZE,
  type AuditEventFilters,
  type Page,
  type ToolCallFilters,
} from "./query.ts";
export { EARLIEST_QUERY_TIME, LATEST_QUERY_TIME, parseSince } from "./since.ts";
export { isSecretKey, looksRandom, REDACTED, redactArguments, redactText } from "./redact.ts";
export { fromStorableJson, fromStorableText, hasUnstorableText, toStorableJson, toStorableText } from "./storable.ts";
export { verifyAuditChain, type VerifyResult } from "./verify.ts";
export { createAuditWriter, type AuditWriter, type AuditWriterOptions, type AuditWriterStatus, type AuditWriteObserver } from "./writer.ts";

// The hash chain over audit_events, shared by the writer and the verifier so both compute the same bytes:
// hash = sha256(prev_hash || canonicalJson(fields)), where `fields` is everything a row stores except
// seq (assigned by the database) and the two hashes.
import { canonicalJson, sha256Hex } from "./canonical.ts";

export const GENESIS_HASH = "0".repeat(64);

export interface ChainedFields {
  id: string;
  /** ISO-8601 with millisecond precision, as `Date.prototype.toISOString` writes it. */
  at: string;
  type: string;
  actor: string;
  callId: string | null;
  upstream: string | null;
  tool: string | null;
  decision: string | null;
  rule: string | null;
  reason: string | null;
  data: unknown;
}

export function chainHash(prevHash: string, fields: ChainedFields): string {
  return sha256Hex(prevHash + canonicalJson(fields));
}

/** Advisory lock key (with the schema's hash as the second key) that serialises appends to one chain. */
export const AUDIT_CHAIN_LOCK_KEY = 0x6175_6469; // "audi"

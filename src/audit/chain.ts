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

/**
 * `chainHash` for an event whose `data` the writer already holds as canonical JSON: the same bytes
 * (ChainedFields' keys in sorted order, every other field a string or null), `data` not walked again.
 */
export function chainHashWithDataJson(prevHash: string, fields: Omit<ChainedFields, "data">, dataJson: string): string {
  const { actor, at, callId, decision, id, reason, rule, tool, type, upstream } = fields;
  return sha256Hex(
    `${prevHash}{"actor":${text(actor)},"at":${text(at)},"callId":${text(callId)},"data":${dataJson},"decision":${text(decision)},"id":${text(id)},` +
      `"reason":${text(reason)},"rule":${text(rule)},"tool":${text(tool)},"type":${text(type)},"upstream":${text(upstream)}}`,
  );
}

function text(value: string | null): string {
  return value === null ? "null" : JSON.stringify(value);
}

/** Advisory lock key (with the schema's hash as the second key) that serialises appends to one chain. */
export const AUDIT_CHAIN_LOCK_KEY = 0x6175_6469; // "audi"

// The binding between what the reviewer saw and what may run (DESIGN §6): the SHA-256 of the canonical
// {upstream, tool, arguments}, and the exact arguments sealed to their approval id and that hash.
import { canonicalJson, sha256Hex } from "../audit/index.ts";
import type { Sealer } from "../secrets/index.ts";

export function bindingHash(upstream: string, tool: string, args: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ upstream, tool, arguments: args }));
}

function sealContext(approvalId: string, argsHash: string): string {
  return `gatehouse/approval-args/v1:${approvalId}:${argsHash}`;
}

export function sealArguments(sealer: Sealer, approvalId: string, argsHash: string, args: Record<string, unknown>): string {
  // JSON.stringify escapes NUL and lone surrogates, so the sealed text round-trips any argument exactly.
  return sealer.seal(JSON.stringify(args), sealContext(approvalId, argsHash));
}

export type OpenedArguments =
  | { ok: true; args: Record<string, unknown> }
  | { ok: false; reason: "other_key"; keyId: string }
  | { ok: false; reason: "tampered" | "missing" };

export function openArguments(sealer: Sealer, approval: { id: string; argsHash: string; argsSealed: string | null }): OpenedArguments {
  if (!approval.argsSealed) return { ok: false, reason: "missing" };
  const opened = sealer.open(approval.argsSealed, sealContext(approval.id, approval.argsHash));
  if (!opened.ok) return opened;
  const args = JSON.parse(opened.plaintext) as unknown;
  if (args === null || typeof args !== "object" || Array.isArray(args)) return { ok: false, reason: "tampered" };
  return { ok: true, args: args as Record<string, unknown> };
}

// What crosses the wire for expected outcomes: isError tool results whose text a person (or model)
// can act on, with machine-readable fields under `_meta` for clients that look.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export const META_PREFIX = "gatehouse/";

export interface RefusalMeta {
  decision: "deny" | "hide" | "rate_limited" | "require_approval" | "error";
  rule: string | null;
  callId: string;
  retryAfterSeconds?: number;
  code?: string;
}

export function refusal(text: string, meta: RefusalMeta): CallToolResult {
  const fields: Record<string, unknown> = {
    [`${META_PREFIX}decision`]: meta.decision,
    [`${META_PREFIX}rule`]: meta.rule,
    [`${META_PREFIX}call_id`]: meta.callId,
  };
  if (meta.retryAfterSeconds !== undefined) fields[`${META_PREFIX}retry_after_seconds`] = meta.retryAfterSeconds;
  if (meta.code !== undefined) fields[`${META_PREFIX}code`] = meta.code;
  return { isError: true, content: [{ type: "text", text }], _meta: fields };
}

export function describeWindow(windowMs: number): string {
  const names: Record<number, string> = { 1_000: "second", 60_000: "minute", 3_600_000: "hour", 86_400_000: "day" };
  return names[windowMs] ?? `${windowMs / 1000} s`;
}

// Slack's v0 request signature: HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>"). Pure, so the
// rules (5-minute window both ways, timing-safe compare) are tested without HTTP; replay is checked after.
import { createHmac, timingSafeEqual } from "node:crypto";

export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export type SignatureCheck =
  | { isValid: true }
  | { isValid: false; reason: "missing_signature" | "stale_timestamp" | "invalid_signature" };

export interface SignedRequest {
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
}

export function checkSlackSignature(signingSecret: string, request: SignedRequest, nowMs: number): SignatureCheck {
  const { signature, timestamp, rawBody } = request;
  if (!signature || !timestamp) return { isValid: false, reason: "missing_signature" };
  if (!/^\d{1,12}$/.test(timestamp)) return { isValid: false, reason: "stale_timestamp" };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) return { isValid: false, reason: "stale_timestamp" };
  const expected = Buffer.from(computeSlackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { isValid: false, reason: "invalid_signature" };
  return { isValid: true };
}

export function computeSlackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac("sha256", signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest("hex")}`;
}

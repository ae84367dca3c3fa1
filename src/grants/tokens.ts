import { createHash, randomBytes } from "node:crypto";

const TOKEN_PREFIX = "ghk_";

/** A new bearer token: `ghk_` for grants unless another prefix is given (reviewers use `ghr_`). */
export function generateToken(prefix = TOKEN_PREFIX): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Tokens are 256-bit random values, so a plain SHA-256 (not a slow KDF) is enough to store them. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

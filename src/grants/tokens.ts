import { createHash, randomBytes } from "node:crypto";

const TOKEN_PREFIX = "ghk_";

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** Tokens are 256-bit random values, so a plain SHA-256 (not a slow KDF) is enough to store them. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

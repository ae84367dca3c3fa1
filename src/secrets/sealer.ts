// AES-256-GCM for what Gatehouse keeps only while it needs it (the exact arguments of a held call).
// The additional authenticated data binds a sealed value to its place (approval id and args hash): a
// value copied to another row, or a row whose hash was edited, does not open.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export type OpenResult =
  | { ok: true; plaintext: string }
  /** Sealed by a gateway with another key (replicas must share GATEHOUSE_ENCRYPTION_KEY). */
  | { ok: false; reason: "other_key"; keyId: string }
  /** Right key, but the value or its context was changed: never trust it. */
  | { ok: false; reason: "tampered" };

export interface Sealer {
  /** A short fingerprint of the key, stored with every sealed value so a mismatch is named, not guessed. */
  readonly keyId: string;
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): OpenResult;
}

const VERSION = "v1";
const IV_BYTES = 12;

export function keyFingerprint(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error(`an AES-256 key has 32 bytes, not ${key.length}`);
  const keyId = keyFingerprint(key);
  return {
    keyId,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, keyId, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
    },
    open(sealed, context) {
      const [version, sealedWith, iv, tag, body, ...rest] = sealed.split(".");
      if (version !== VERSION || !sealedWith || !iv || !tag || body === undefined || rest.length > 0) return { ok: false, reason: "tampered" };
      if (sealedWith !== keyId) return { ok: false, reason: "other_key", keyId: sealedWith };
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        const plaintext = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
        return { ok: true, plaintext };
      } catch {
        return { ok: false, reason: "tampered" };
      }
    },
  };
}

// The Ed25519 key that signs audit checkpoints, and the signature format. The key comes from
// GATEHOUSE_AUDIT_SIGNING_KEY (PKCS8 PEM, or its DER in base64), else from `audit-signing.key` in the data
// directory, generated on first start (mode 0600). A checkpoint is signed over the canonical JSON of
// { at, count, hash, keyId, seq }, so anyone holding the public key can check it with any Ed25519 tool.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GatewayError } from "../../errors.ts";
import type { Logger } from "../../log/index.ts";
import { canonicalJson } from "../canonical.ts";

export const SIGNING_KEY_FILE = "audit-signing.key";
const KEY_HELP = "Generate one with `openssl genpkey -algorithm ed25519`.";

/** What a checkpoint vouches for: the chain's head at `seq` has `hash`, and `count` events lead up to it. */
export interface CheckpointPayload {
  seq: number;
  hash: string;
  count: number;
  /** ISO-8601 with milliseconds: when it was signed. */
  at: string;
  /** Which key signed it: the first 16 hex digits of SHA-256 over the public key (SPKI DER). */
  keyId: string;
}

export interface SignedCheckpoint extends CheckpointPayload {
  /** Ed25519 signature over `checkpointMessage(payload)`, base64. */
  signature: string;
}

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as SPKI PEM: what `gatehouse audit public-key` prints. */
  publicKeyPem: string;
}

export interface PublicKeyInfo {
  keyId: string;
  publicKey: KeyObject;
  publicKeyPem: string;
}

/** The exact bytes that are signed (UTF-8 of this text). */
export function checkpointMessage(payload: CheckpointPayload): string {
  const { seq, hash, count, at, keyId } = payload;
  return canonicalJson({ seq, hash, count, at, keyId });
}

export function signCheckpoint(key: SigningKey, payload: Omit<CheckpointPayload, "keyId">): SignedCheckpoint {
  const full: CheckpointPayload = { seq: payload.seq, hash: payload.hash, count: payload.count, at: payload.at, keyId: key.keyId };
  return { ...full, signature: sign(null, Buffer.from(checkpointMessage(full), "utf8"), key.privateKey).toString("base64") };
}

/** True when `signature` is this key's signature over the checkpoint as written. */
export function isValidSignature(checkpoint: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(checkpointMessage(checkpoint), "utf8"), publicKey, Buffer.from(checkpoint.signature, "base64"));
  } catch {
    return false;
  }
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

export function toSigningKey(privateKey: KeyObject, source: string): SigningKey {
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new GatewayError("config_invalid", `${source} must hold an Ed25519 private key (it holds ${privateKey.asymmetricKeyType ?? "an unknown key type"}). ${KEY_HELP}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** A private key as PKCS8 PEM or as base64 of its DER. */
export function parseSigningKey(text: string, source: string): SigningKey {
  let key: KeyObject;
  try {
    const value = text.trim();
    key = value.startsWith("-----BEGIN") ? createPrivateKey(value) : createPrivateKey({ key: Buffer.from(value, "base64"), format: "der", type: "pkcs8" });
  } catch {
    throw new GatewayError("config_invalid", `${source} is not a PKCS8 private key in PEM or base64 DER. ${KEY_HELP}`);
  }
  return toSigningKey(key, source);
}

/** A public key as SPKI PEM or as base64 of its DER (what `gatehouse audit public-key` prints). */
export function parsePublicKey(text: string, source: string): PublicKeyInfo {
  let publicKey: KeyObject;
  try {
    const value = text.trim();
    publicKey = value.startsWith("-----BEGIN") ? createPublicKey(value) : createPublicKey({ key: Buffer.from(value, "base64"), format: "der", type: "spki" });
  } catch {
    throw new GatewayError("config_invalid", `${source} is not a public key in PEM or base64 DER.`);
  }
  if (publicKey.asymmetricKeyType !== "ed25519") throw new GatewayError("config_invalid", `${source} is not an Ed25519 public key.`);
  return { keyId: keyIdOf(publicKey), publicKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** The gateway's signing key: environment, else the data directory's key file (created once), else in memory. */
export async function loadSigningKey(options: { envKey: string | undefined; dataDir: string | null; isShared: boolean; logger: Logger }): Promise<SigningKey> {
  if (options.envKey) return parseSigningKey(options.envKey, "GATEHOUSE_AUDIT_SIGNING_KEY");
  if (!options.dataDir) return toSigningKey(generateKeyPairSync("ed25519").privateKey, "a generated key");
  const file = join(options.dataDir, SIGNING_KEY_FILE);
  const existing = await readSigningKeyFile(file);
  const key = existing ?? (await createKeyFile(file));
  if (options.isShared) {
    options.logger.warn({ file, keyId: key.keyId }, `GATEHOUSE_AUDIT_SIGNING_KEY is not set: audit checkpoints are signed with the key in ${file}. Give every gateway on this database the same key so one public key verifies every checkpoint. ${KEY_HELP}`);
  }
  return key;
}

/** The key file of a data directory, or null when there is none (the CLI never creates one). */
export async function readSigningKeyFile(file: string): Promise<SigningKey | null> {
  try {
    return parseSigningKey(await readFile(file, "utf8"), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function createKeyFile(file: string): Promise<SigningKey> {
  await mkdir(join(file, ".."), { recursive: true });
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  try {
    // "wx": two processes starting at once must not each write a different key.
    await writeFile(file, pem, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return parseSigningKey(await readFile(file, "utf8"), file);
}

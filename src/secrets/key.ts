// Where the sealing key comes from: GATEHOUSE_ENCRYPTION_KEY (32 bytes, base64 or hex), else a key
// file in the data directory that the first start generates (mode 0600). Replicas on PostgreSQL must
// share one key, so that case is logged loudly.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GatewayError } from "../errors.ts";
import type { Logger } from "../log/index.ts";

export const KEY_FILE = "encryption.key";
export const KEY_HELP = "Generate one with `openssl rand -base64 32`.";

export function parseKey(text: string, source: string): Buffer {
  const value = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (key.length !== 32) {
    throw new GatewayError("config_invalid", `${source} must hold a 32-byte key as base64 or hex (it decodes to ${key.length} bytes). ${KEY_HELP}`);
  }
  return key;
}

export async function loadSealingKey(options: {
  envKey: string | undefined;
  /** null: keep a random key in memory (ephemeral test gateways). */
  dataDir: string | null;
  /** True when several gateways may share the database (PostgreSQL): a local key file is then a risk. */
  isShared: boolean;
  logger: Logger;
}): Promise<Buffer> {
  if (options.envKey) return parseKey(options.envKey, "GATEHOUSE_ENCRYPTION_KEY");
  if (!options.dataDir) return randomBytes(32);
  const file = join(options.dataDir, KEY_FILE);
  const key = await readOrCreateKeyFile(file);
  if (options.isShared) {
    options.logger.warn({ file }, `GATEHOUSE_ENCRYPTION_KEY is not set: held-call arguments are sealed with the key in ${file}. Every gateway on this database must use the same key. ${KEY_HELP}`);
  }
  return key;
}

async function readOrCreateKeyFile(file: string): Promise<Buffer> {
  try {
    return parseKey(await readFile(file, "utf8"), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(join(file, ".."), { recursive: true });
  try {
    // "wx": two processes starting at once must not each write a different key.
    await writeFile(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return parseKey(await readFile(file, "utf8"), file);
}

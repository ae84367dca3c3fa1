// The audit commands on the database directly: for an auditor with a copy of it, a gateway that is down,
// or checkpoint files and keys kept on this machine.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  checkpointFile,
  getCallStory,
  listToolCalls,
  parsePublicKey,
  parseSigningKey,
  readSigningKeyFile,
  SIGNING_KEY_FILE,
  verifyAudit,
  type CallRow,
  type CallStory,
  type PublicKeyInfo,
  type VerifyReport,
} from "../../audit/index.ts";
import { dataDirOf } from "../../config/index.ts";
import { loadCliContext, withStorage, type CliContext } from "../context.ts";
import type { GlobalOptions } from "../usage.ts";
import { CommandFailed, UsageError } from "../usage.ts";
import type { CallFilters, CallPage, VerifyCliOptions } from "./run.ts";

export function listCallsOffline(filters: CallFilters, limit: number, cursor: string | undefined, globals: GlobalOptions): Promise<CallPage> {
  return withStorage(globals, ({ database }) => listToolCalls(database, { ...filters, limit, cursor }));
}

export function exportCallsOffline(filters: CallFilters, pageSize: number, globals: GlobalOptions): Promise<CallRow[]> {
  return withStorage(globals, async ({ database }) => {
    const rows: CallRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await listToolCalls(database, { ...filters, limit: pageSize, cursor });
      rows.push(...page.rows);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return rows;
  });
}

export function callStoryOffline(callId: string, globals: GlobalOptions): Promise<CallStory> {
  return withStorage(globals, async ({ database }) => {
    const story = await getCallStory(database, callId);
    if (!story) throw new CommandFailed(`No call ${callId} in the audit history`);
    return story;
  });
}

export async function verifyOffline(options: VerifyCliOptions, globals: GlobalOptions): Promise<VerifyReport> {
  const context = await loadCliContext(globals);
  const trustedKeys: PublicKeyInfo[] = [];
  const own = await localKey(context);
  if (own) trustedKeys.push(own);
  for (const file of options.publicKey) {
    const text = await readNamedFile(file, "public key");
    try {
      trustedKeys.push(parsePublicKey(text, file));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const checkpointFiles: { source: string; text: string }[] = [];
  for (const file of options.checkpoints) checkpointFiles.push({ source: file, text: await readNamedFile(file, "checkpoint file") });
  if (options.checkpoints.length === 0) {
    // The file this deployment writes its checkpoints to, when it exists yet.
    for (const file of configuredCheckpointFile(context)) {
      const text = await readFile(file, "utf8").catch(() => null);
      if (text !== null) checkpointFiles.push({ source: file, text });
    }
  }
  return withStorage(globals, ({ database }) => verifyAudit(database, { expectHead: options.expectHead, trustedKeys, checkpointFiles }));
}

export async function localPublicKey(globals: GlobalOptions): Promise<{ keyId: string; pem: string }> {
  const key = await localKey(await loadCliContext(globals));
  if (!key) throw new CommandFailed(`no audit signing key: set GATEHOUSE_AUDIT_SIGNING_KEY, or start the gateway once so it creates ${SIGNING_KEY_FILE} in its data directory`);
  return { keyId: key.keyId, pem: key.publicKeyPem };
}

/** This deployment's signing key, public half: from the environment or the data directory (never created here). */
async function localKey({ env, config }: CliContext): Promise<PublicKeyInfo | null> {
  if (env.GATEHOUSE_AUDIT_SIGNING_KEY) return parseSigningKey(env.GATEHOUSE_AUDIT_SIGNING_KEY, "GATEHOUSE_AUDIT_SIGNING_KEY");
  return readSigningKeyFile(join(dataDirOf(config, env), SIGNING_KEY_FILE));
}

function configuredCheckpointFile({ env, config }: CliContext): string[] {
  const file = checkpointFile(config.audit.checkpoints, dataDirOf(config, env), config.file ? dirname(config.file) : process.cwd());
  return file ? [file] : [];
}

/** A file named on the command line that cannot be read is a usage error. */
async function readNamedFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const isMissing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new UsageError(`cannot read ${what} ${file}: ${isMissing ? "no such file" : (error as Error).message}`);
  }
}

// The gateway's checkpoint settings turned into a running checkpointer with its sinks: the file (by
// default in the data directory) and the webhook, when configured.
import { join, resolve } from "node:path";
import type { Database } from "../../db/index.ts";
import type { Logger } from "../../log/index.ts";
import { createCheckpointer, type Checkpointer } from "./checkpointer.ts";
import { createFileSink, createWebhookSink, type CheckpointSink } from "./sinks.ts";
import type { SigningKey } from "./signing.ts";

export const DEFAULT_CHECKPOINT_FILE = "audit-checkpoints.jsonl";

export interface CheckpointConfig {
  enabled: boolean;
  everyEvents: number;
  everySeconds: number;
  /** Relative to `baseDir`; absent: <dataDir>/audit-checkpoints.jsonl; false: no file. */
  file?: string | false;
  webhook?: { url: string; headers: Record<string, string>; timeoutMs: number };
}

/** The file checkpoints go to, or null for none. */
export function checkpointFile(config: Pick<CheckpointConfig, "file">, dataDir: string | null, baseDir: string): string | null {
  if (config.file === false) return null;
  if (config.file) return resolve(baseDir, config.file);
  return dataDir ? join(dataDir, DEFAULT_CHECKPOINT_FILE) : null;
}

export function startCheckpoints(deps: { database: Database; config: CheckpointConfig; key: SigningKey; dataDir: string | null; baseDir: string; logger: Logger }): Checkpointer | null {
  const { config, logger } = deps;
  if (!config.enabled) return null;
  const sinks: CheckpointSink[] = [];
  const file = checkpointFile(config, deps.dataDir, deps.baseDir);
  if (file) sinks.push(createFileSink(file, logger));
  if (config.webhook) sinks.push(createWebhookSink(config.webhook, logger));
  return createCheckpointer({ database: deps.database, key: deps.key, settings: config, sinks, logger });
}

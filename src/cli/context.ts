// Offline work: the config, the environment and the database of this deployment, opened directly (in
// embedded mode a process that holds the PGlite files is reached through its socket). The storage layer
// is loaded only when a command opens the database.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfig, parseEnv, type Env, type GatehouseConfig } from "../config/index.ts";
import type { StorageHandles } from "../main.ts";
import { CommandFailed, type GlobalOptions } from "./usage.ts";

export interface CliContext {
  config: GatehouseConfig;
  env: Env;
}

/** --data-dir applies like GATEHOUSE_DATA_DIR (it wins over the config's storage.dataDir). */
export async function loadCliContext(options: Pick<GlobalOptions, "config" | "dataDir">): Promise<CliContext> {
  const env = parseEnv(options.dataDir ? { ...process.env, GATEHOUSE_DATA_DIR: options.dataDir } : process.env);
  const config = await loadConfig(options.config ?? env.GATEHOUSE_CONFIG);
  return { config, env };
}

/**
 * Runs `use` with the database open. Only an existing Gatehouse database is opened unless `isCreating`
 * (`db migrate`): a mistyped data directory is an error naming it, not a new empty database.
 */
export async function withStorage<T>(
  options: Pick<GlobalOptions, "config" | "dataDir">,
  use: (storage: StorageHandles, context: CliContext) => Promise<T>,
  { isCreating = false }: { isCreating?: boolean } = {},
): Promise<T> {
  const context = await loadCliContext(options);
  const named = options.dataDir ?? context.env.GATEHOUSE_DATA_DIR;
  // With DATABASE_URL the database is not in the data directory, but a directory named on purpose that does not exist is still a typo.
  if (!isCreating && named && !existsSync(named)) throw new CommandFailed(`the data directory ${resolve(named)} does not exist: check --data-dir / GATEHOUSE_DATA_DIR`);
  const { openStorage } = await import("../main.ts");
  const storage = await openStorage(context.config, context.env, { isExistingOnly: !isCreating });
  try {
    return await use(storage, context);
  } finally {
    await storage.close();
  }
}

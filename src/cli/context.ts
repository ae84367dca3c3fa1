// Shared by CLI commands that touch storage: the config, the environment, and the database of this
// deployment (in embedded mode, a running gateway's database is reached through its socket).
import { loadConfig, parseEnv, type Env, type GatehouseConfig } from "../config/index.ts";
import { openStorage, type StorageHandles } from "../main.ts";

export interface CliContext {
  config: GatehouseConfig;
  env: Env;
}

export async function loadCliContext(configPath: string | undefined): Promise<CliContext> {
  const env = parseEnv();
  const config = await loadConfig(configPath ?? env.GATEHOUSE_CONFIG);
  return { config, env };
}

export async function withStorage<T>(configPath: string | undefined, use: (storage: StorageHandles, context: CliContext) => Promise<T>): Promise<T> {
  const context = await loadCliContext(configPath);
  const storage = await openStorage(context.config, context.env);
  try {
    return await use(storage, context);
  } finally {
    await storage.close();
  }
}

export function print(line: string): void {
  process.stdout.write(line.endsWith("\n") ? line : `${line}\n`);
}

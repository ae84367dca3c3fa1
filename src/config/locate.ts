// Which config file applies and where its data directory is, without validating the whole config: the CLI
// needs the data dir (to find a running gateway's gateway.json) before it loads anything heavy. The full
// loader (load.ts) uses the same rules, so both always agree.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { GatewayError } from "../errors.ts";

export const DEFAULT_DATA_DIR = ".gatehouse";

/** The explicit path, else ./gatehouse.json when present, else none (the built-in demo). */
export function chooseConfigFile(path: string | undefined): string | undefined {
  return path ?? (existsSync("gatehouse.json") ? "gatehouse.json" : undefined);
}

/** storage.dataDir resolved against the config file's folder (the working directory for the demo). */
export function resolveDataDir(dataDir: string, file: string | null): string {
  return resolve(file ? dirname(file) : process.cwd(), dataDir);
}

/**
 * The data directory a config file names (GATEHOUSE_DATA_DIR wins, as at start-up), reading only
 * `storage.dataDir`. A file that cannot be read is the full loader's to explain: then the default applies.
 */
export async function locateDataDir(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.GATEHOUSE_DATA_DIR?.trim()) return resolve(env.GATEHOUSE_DATA_DIR);
  const chosen = chooseConfigFile(configPath ?? (env.GATEHOUSE_CONFIG?.trim() || undefined));
  if (!chosen) return resolveDataDir(DEFAULT_DATA_DIR, null);
  const file = resolve(chosen);
  let dataDir: unknown;
  try {
    dataDir = (JSON.parse(await readFile(file, "utf8")) as { storage?: { dataDir?: unknown } } | null)?.storage?.dataDir;
  } catch {
    return resolveDataDir(DEFAULT_DATA_DIR, file);
  }
  return resolveDataDir(typeof dataDir === "string" ? interpolateString(dataDir, env, file, "/storage/dataDir") : DEFAULT_DATA_DIR, file);
}

/** `${VAR}` in a config string, from the environment; an unset variable is a config error naming where. */
export function interpolateString(value: string, env: NodeJS.ProcessEnv, file: string, path: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const found = env[name];
    if (found === undefined) {
      throw new GatewayError("config_invalid", `${file}: ${path || "/"}: environment variable ${name} is not set`);
    }
    return found;
  });
}

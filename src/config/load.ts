// Reads gatehouse.json (or builds the zero-setup demo config), interpolates ${VAR} from the
// environment, validates with zod and resolves relative paths against the config file's folder.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { z } from "zod";
import { GatewayError } from "../errors.ts";
import { PROJECT_ROOT } from "../package-root.ts";
import { chooseConfigFile, interpolateString, resolveDataDir } from "./locate.ts";
import { ConfigSchema, isStdioUpstream, type GatehouseConfigFile, type UpstreamConfig } from "./schema.ts";

export type ResolvedUpstream = UpstreamConfig & { name: string; policyFile: string };

export interface GatehouseConfig extends Omit<GatehouseConfigFile, "upstreams"> {
  /** Absolute path of the file it came from; null for the built-in demo. */
  file: string | null;
  upstreams: ResolvedUpstream[];
  isDemo: boolean;
}

/** Picks the config: explicit path, else ./gatehouse.json when present, else the built-in demo. */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<GatehouseConfig> {
  const file = chooseConfigFile(path);
  if (!file) return resolveConfig(demoConfig(), null, true);
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (cause) {
    throw new GatewayError("config_invalid", `Cannot read config file ${absolute}: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(text, absolute, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatehouseConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GatewayError("config_invalid", `${file}: not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const literal = literalSecretPath(raw);
  if (literal) {
    throw new GatewayError("config_invalid", `${file}: ${literal}: secrets come from the environment: set a variable and write its name here, e.g. "\${GATEHOUSE_OIDC_CLIENT_SECRET}"`);
  }
  const parsed = ConfigSchema.safeParse(interpolate(raw, env, file, ""));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: /${i.path.join("/")}: ${describeIssue(i)}`);
    throw new GatewayError("config_invalid", `Invalid config:\n${lines.join("\n")}`);
  }
  return resolveConfig(parsed.data, file, false);
}

/** A secret written into the file itself instead of named as `${VAR}` (only the sign-on client secret is checked). */
function literalSecretPath(raw: unknown): string | null {
  const secret = (raw as { dashboard?: { oidc?: { clientSecret?: unknown } } } | null)?.dashboard?.oidc?.clientSecret;
  return typeof secret === "string" && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(secret) ? "/dashboard/oidc/clientSecret" : null;
}

/** zod reports a bad record key as "Invalid key in record"; the nested issue says what is wrong with it. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return `invalid name: ${issue.issues.map((i) => i.message).join("; ")}`;
  if (issue.code === "unrecognized_keys" && issue.keys.includes("maxHoldSeconds")) {
    return `${issue.message} (maxHoldSeconds was replaced by maxWaitSeconds: how long a request is held before the agent gets the pending answer, default 45)`;
  }
  return issue.message;
}

function resolveConfig(config: GatehouseConfigFile, file: string | null, isDemo: boolean): GatehouseConfig {
  const base = file ? dirname(file) : PROJECT_ROOT;
  const upstreams = Object.entries(config.upstreams).map(([name, upstream]) => {
    const policyFile = resolve(base, upstream.policy ?? `policies/${name}.json`);
    if (isStdioUpstream(upstream) && upstream.cwd) upstream.cwd = resolve(base, upstream.cwd);
    return { ...upstream, name, policyFile };
  });
  const storage = { ...config.storage, dataDir: resolveDataDir(config.storage.dataDir, file) };
  return { ...config, storage, upstreams, file, isDemo };
}

function interpolate(value: unknown, env: NodeJS.ProcessEnv, file: string, path: string): unknown {
  if (typeof value === "string") return interpolateString(value, env, file, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, file, `${path}/${i}`));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, file, `${path}/${k}`)]));
  }
  return value;
}

// The compiled gateway (dist/) runs the compiled demo (dist/examples/smartlead/main.js) with plain node:
// compiling it with tsx at every start would cost seconds before the banner.
const isCompiled = import.meta.url.endsWith(".js");
const DEMO_MAIN = isCompiled ? join(PROJECT_ROOT, "dist/examples/smartlead/main.js") : join(PROJECT_ROOT, "examples/smartlead/main.ts");

/** The zero-setup config behind `npm start`: the SmartLead-shaped demo upstream over stdio. */
export function demoConfig(): GatehouseConfigFile {
  return ConfigSchema.parse({
    upstreams: {
      smartlead: {
        command: process.execPath,
        args: isCompiled ? [DEMO_MAIN] : ["--import", "tsx", DEMO_MAIN],
        cwd: PROJECT_ROOT,
        policy: resolve(PROJECT_ROOT, "policies/smartlead.json"),
      },
    },
  });
}

/** The data directory of this deployment: GATEHOUSE_DATA_DIR (or --data-dir), else the config's storage.dataDir. */
export function dataDirOf(config: GatehouseConfig, env: Pick<NodeJS.ProcessEnv, "GATEHOUSE_DATA_DIR">): string {
  return env.GATEHOUSE_DATA_DIR ?? config.storage.dataDir;
}

// Which gateways run on this machine, for processes that start elsewhere: `gatehouse stdio` launched by a
// desktop client (in another working directory, often without the environment of a terminal) says so when
// it would not share the running gateway's state. gateway.json lives inside a data directory, so it cannot
// be found from another one; each HTTP gateway therefore also leaves a pointer to its data directory in a
// per-user folder (~/.local/state/gatehouse/running, or $GATEHOUSE_STATE_DIR/running). The pointer names the
// storage but no secret; whether that gateway still runs is read from its own gateway.json, as the CLI does.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile, rename } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { findRunningGateway, type GatewayFile } from "./gateway-file.ts";

export interface RunningEntry {
  /** Absolute data directory (where its gateway.json is). */
  dataDir: string;
  /** What holds its state: `embedded:<dataDir>` or `postgres://host:port/db?schema=s` (no credentials). */
  storage: string;
  /** The config file it runs (null: the built-in demo). */
  configFile: string | null;
}

export interface RunningGateway extends RunningEntry {
  gateway: GatewayFile;
}

export function runningDir(stateDir: string | undefined): string {
  return join(stateDir ?? join(homedir(), ".local", "state", "gatehouse"), "running");
}

/** The identity of a deployment's state: two processes share grants, approvals and audit exactly when these match. */
export function storageIdentity(databaseUrl: string | undefined, dataDir: string, schema: string): string {
  if (!databaseUrl) return `embedded:${dataDir}`;
  try {
    const url = new URL(databaseUrl);
    return `postgres://${url.hostname}:${url.port || "5432"}${url.pathname}?schema=${schema}`;
  } catch {
    return `postgres:unparsed?schema=${schema}`;
  }
}

/** One entry per data directory; replicas on one directory share it. Best effort: a read-only HOME only loses the hint. */
export async function registerRunningGateway(stateDir: string | undefined, entry: RunningEntry): Promise<void> {
  const dir = runningDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, entryName(entry.dataDir));
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  await rename(partial, file);
}

/** Removes the entry once no gateway runs from its data directory any more (another may have started there). */
export async function unregisterRunningGateway(stateDir: string | undefined, dataDir: string): Promise<void> {
  if (await findRunningGateway(dataDir)) return;
  await rm(join(runningDir(stateDir), entryName(dataDir)), { force: true });
}

/** Gateways running now, by their gateway.json; entries of gateways that stopped are removed on the way. */
export async function listRunningGateways(stateDir: string | undefined): Promise<RunningGateway[]> {
  const dir = runningDir(stateDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  const found: RunningGateway[] = [];
  for (const name of names) {
    const entry = await readEntry(join(dir, name));
    const gateway = entry ? await findRunningGateway(entry.dataDir) : null;
    if (entry && gateway) found.push({ ...entry, gateway });
    else await rm(join(dir, name), { force: true }).catch(() => {});
  }
  return found.sort((a, b) => b.gateway.startedAt.localeCompare(a.gateway.startedAt));
}

function entryName(dataDir: string): string {
  return `${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}.json`;
}

async function readEntry(file: string): Promise<RunningEntry | null> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<RunningEntry> | null;
    if (typeof parsed?.dataDir !== "string" || typeof parsed.storage !== "string") return null;
    return { dataDir: parsed.dataDir, storage: parsed.storage, configFile: typeof parsed.configFile === "string" ? parsed.configFile : null };
  } catch {
    return null;
  }
}

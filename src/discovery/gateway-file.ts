// How the CLI finds the gateway running on this machine: `gatehouse start` writes <dataDir>/gateway.json
// (its URL and pid) once it listens, and removes it when it stops. A file left by a gateway that died
// without stopping names a pid that is gone, and is ignored. Only node built-ins here: the CLI reads this
// file before deciding whether to load anything else.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const GATEWAY_FILE = "gateway.json";

export interface GatewayFile {
  url: string;
  pid: number;
  startedAt: string;
  /**
   * The admin token, only when this start generated it (the demo): a token set in GATEHOUSE_ADMIN_TOKEN is
   * never written to disk. The file is readable by its owner only, like the keys beside it.
   */
  adminToken?: string;
}

/** Written atomically (a reader never sees half a file), owner-only. */
export async function writeGatewayFile(dataDir: string, content: GatewayFile): Promise<void> {
  const file = join(dataDir, GATEWAY_FILE);
  const partial = `${file}.${content.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await rename(partial, file);
}

/** Removes the file if it is still this process's (another gateway on the same data dir may have replaced it). */
export async function removeGatewayFile(dataDir: string, pid: number): Promise<void> {
  const current = await readGatewayFileAt(join(dataDir, GATEWAY_FILE));
  if (current?.pid === pid) await rm(join(dataDir, GATEWAY_FILE), { force: true });
}

/** The gateway running from this data dir, or null (no file, an unreadable one, or its process is gone). */
export async function findRunningGateway(dataDir: string): Promise<GatewayFile | null> {
  const found = await readGatewayFileAt(join(dataDir, GATEWAY_FILE));
  return found && isProcessAlive(found.pid) ? found : null;
}

async function readGatewayFileAt(file: string): Promise<GatewayFile | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return null;
  }
  const candidate = parsed as Partial<GatewayFile> | null;
  if (typeof candidate?.url !== "string" || typeof candidate.pid !== "number") return null;
  return {
    url: candidate.url,
    pid: candidate.pid,
    startedAt: String(candidate.startedAt ?? ""),
    ...(typeof candidate.adminToken === "string" && { adminToken: candidate.adminToken }),
  };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

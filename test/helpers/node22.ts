// A Node.js ≥ 22 runtime for tools that need one (the MCP conformance suite uses fs.globSync), without
// asking users for more than Node 20. Order: this process when it is new enough, a `node` on PATH that
// is, the copy cached under node_modules/.cache, else the official binary from the npm registry
// (`node-<platform>-<arch>`, a package holding just the executable; `npm pack` runs no install script).
import { execFile } from "node:child_process";
import { access, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../src/config/index.ts";

const run = promisify(execFile);
const VERSION = "22.23.5";
const CACHE = join(PROJECT_ROOT, "node_modules/.cache/gatehouse", `node-${VERSION}`);

let found: Promise<string> | undefined;

/** Path of a node executable whose major version is at least 22. */
export function node22(): Promise<string> {
  found ??= locate();
  return found;
}

async function locate(): Promise<string> {
  if (major(process.versions.node) >= 22) return process.execPath;
  const onPath = await versionOf("node");
  if (onPath && major(onPath) >= 22) return "node";
  const cached = join(CACHE, "bin/node");
  if (await exists(cached)) return cached;
  await download();
  return cached;
}

async function download(): Promise<void> {
  const packageName = `node-${process.platform}-${process.arch}@${VERSION}`;
  await mkdir(join(CACHE, ".."), { recursive: true });
  const work = await mkdtemp(join(CACHE, "..", "download-"));
  try {
    const { stdout } = await run("npm", ["pack", packageName, "--silent", "--pack-destination", work], { cwd: work });
    const tarball = join(work, stdout.trim().split("\n").pop()!);
    await run("tar", ["-xzf", tarball, "-C", work, "package/bin/node"]);
    await rm(CACHE, { recursive: true, force: true });
    await rename(join(work, "package"), CACHE);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function versionOf(command: string): Promise<string | null> {
  try {
    const { stdout } = await run(command, ["-p", "process.versions.node"]);
    return stdout.trim();
  } catch {
    return null;
  }
}

const major = (version: string) => Number(version.split(".")[0]);

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

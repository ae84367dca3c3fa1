// The compiled `gatehouse` binary as a user runs it: a child process (`node bin/gatehouse.js …`) with a
// minimal environment, its exit code and what it printed. `npm test` builds dist/ first (pretest); run
// `npm run build` before running a CLI test file on its own.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../src/config/index.ts";

const run = promisify(execFile);
export const BIN = join(PROJECT_ROOT, "bin/gatehouse.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** PATH and HOME, and the storage of this test run (DATABASE_URL / REDIS_URL when set). */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    LOG_LEVEL: "error",
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...extra,
  };
}

export async function gatehouse(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A CSV document as rows of cells (no quoted commas in the values these tests print). */
export function csvRows(text: string): string[][] {
  return text.trim().split(/\r?\n/).map((line) => line.split(","));
}

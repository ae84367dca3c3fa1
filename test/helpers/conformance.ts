// The MCP conformance suite's reference "everything" server as a Streamable HTTP upstream. It is a
// copy of the suite's own file, which imports the SDK, express and zod: it is copied into test/.tmp/
// (inside the checkout, so ES module resolution finds the project's node_modules) and run with tsx.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/config/index.ts";
import { freePort } from "./ports.ts";

export const CONFORMANCE_SERVER_SOURCE = join(PROJECT_ROOT, "../shared/peers/conformance-everything-server.ts");

export async function startConformanceServer(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = join(PROJECT_ROOT, "test/.tmp", `conformance-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  const entry = join(dir, "everything-server.ts");
  await copyFile(CONFORMANCE_SERVER_SOURCE, entry);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let seen = "";
  const collect = (chunk: Buffer) => (seen += chunk.toString());
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", () => seen.includes("MCP endpoint") && resolve());
      child.once("exit", (code) => reject(new Error(`conformance server exited (${code}): ${seen}`)));
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Keep draining its output (it logs every request; a full pipe would stall it) without keeping it.
  child.stdout!.removeAllListeners("data").resume();
  child.stderr!.removeAllListeners("data").resume();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

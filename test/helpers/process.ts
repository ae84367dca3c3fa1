// A gateway as a separate process (`gatehouse start`), for tests that kill it with SIGKILL and
// start it again on the same storage.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/config/index.ts";

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Everything the gateway printed on stdout so far (the start-up banner). */
  stdout(): string;
  /** The last 20 KB the gateway printed on stderr (its log lines). */
  stderr(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `configFile: null` starts the zero-setup demo (`npm start`), which needs a `cwd` without a gatehouse.json. */
export async function spawnGateway(configFile: string | null, env: Record<string, string>, options: { cwd?: string } = {}): Promise<GatewayProcess> {
  const configArgs = configFile === null ? [] : ["--config", configFile];
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/gatehouse.js"), "start", ...configArgs], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: "0",
      LOG_LEVEL: "warn",
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`gateway exited (${code}) before listening: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Polls `read` until `isDone` holds: for state owned by another process, which this one cannot subscribe to. */
export async function waitUntil<T>(read: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

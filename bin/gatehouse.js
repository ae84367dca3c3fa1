#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm install` runs through `prepare`): no
// TypeScript is compiled at start-up. The sources stay runnable with tsx for development and tests.
// The first line's V8 flag (also in package.json's start script) gives the young generation room for a
// gateway's many short-lived objects per call: fewer scavenges, about 8–10 % more allowed calls/s on
// PostgreSQL + Redis (docs/performance.md). It only raises a ceiling; an idle gateway does not grow.
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("gatehouse: the compiled CLI is missing (dist/): run npm run build (npm install runs it too)\n");
  process.exit(1);
}
// `gatehouse audit list | head`: a reader that stops early is not an error worth a stack trace.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const { runCli } = await import(entry.href);
await runCli(process.argv);

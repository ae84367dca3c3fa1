// `npm run build` (also run by `prepare` on npm install / npm ci, and by `pretest`): compiles src/ and the
// demo upstream to dist/ with tsc, then copies the files the compiled code reads next to itself. Plain
// JavaScript, so building needs nothing that the build produces.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// Read at run time relative to the module that reads them (everything else resolves from the package root).
const ASSETS = ["examples/smartlead/tools.json"];

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compiled = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const asset of ASSETS) {
  const target = join(root, "dist", asset);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, asset), target);
}

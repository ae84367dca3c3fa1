// Where Gatehouse is installed: the folder that holds its package.json, found upward from this module, so
// the sources (src/, run by tsx) and the compiled build (dist/src/) find the same migrations, dashboard
// assets and demo policy.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`Gatehouse's package.json was not found above ${start}`);
  }
}

export const PROJECT_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

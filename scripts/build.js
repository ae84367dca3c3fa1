// `npm run build` (also run by `prepare` on npm install / npm ci, and by `pretest`): bundles the CLI (which
// is also the gateway: `gatehouse start`) and the demo upstream into dist/ with esbuild. Bundling is about
// start-up: Node loading some 560 separate ES modules cost a start about a second; the bundle is a few
// files, split so that `--help` and the commands that only talk to a running gateway load none of the
// gateway's code (see test/cli.test.ts). Then, with the bundle it just wrote, it makes the copy of an empty
// embedded database that new ones are unpacked from (src/db/embedded-template.ts), once per PGlite version.
// Type checking is `npm run typecheck` (tsc), not part of the build. Plain JavaScript, so building needs
// nothing that an earlier build produced.
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = join(root, "dist");

// Packages left to Node's resolver instead of the bundle: each reads files next to its own modules at run
// time (PGlite's WebAssembly and data files, pino's worker transports, msgpackr's optional native addon),
// is loaded only when configured (Slack), or is an optional peer module that is usually absent.
const EXTERNAL = [
  "@electric-sql/pglite",
  "@electric-sql/pglite/*",
  "@electric-sql/pglite-socket",
  "msgpackr-extract",
  "@slack/bolt",
  "@slack/web-api",
  "pino",
  "pino-pretty",
  "pg-native",
  "@opentelemetry/api",
];

// The copy of an empty embedded database (src/db/embedded-template.ts) outlives a rebuild: it depends only on
// PGlite's version, and making it runs initdb (a few seconds).
const TEMPLATE = "pglite-template";
for (const name of existsSync(outdir) ? readdirSync(outdir) : []) {
  if (name !== TEMPLATE) rmSync(join(outdir, name), { recursive: true, force: true });
}
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    "src/cli/main": "src/cli/main.ts",
    "src/db/embedded-worker": "src/db/embedded-worker.ts",
    "src/db/embedded-template": "src/db/embedded-template.ts",
    "examples/smartlead/main": "examples/smartlead/main.ts",
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  // Whitespace and syntax only: names stay, so a stack trace still reads (the source map maps it back).
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: "warning",
  // Bundled CommonJS packages call require() for Node's built-ins; an ES module has no require of its own.
  banner: { js: 'import { createRequire as __gatehouseRequire } from "node:module";\nconst require = __gatehouseRequire(import.meta.url);' },
});
// Which source modules each output file holds: read by the test that keeps the CLI's light commands light.
writeFileSync(join(outdir, "meta.json"), JSON.stringify(result.metafile));

// A new embedded database starts from this copy instead of running initdb (src/db/embedded-template.ts).
const { writeTemplate } = await import(pathToFileURL(join(outdir, "src/db/embedded-template.js")).href);
await writeTemplate(join(outdir, TEMPLATE));

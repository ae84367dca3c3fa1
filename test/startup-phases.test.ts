// What docs/operations.md and docs/architecture.md say about a start: with LOG_LEVEL=debug the gateway logs
// where its start-up time went, and the embedded database runs with 16 MB of shared buffers (PGlite's
// default 128 MB were zeroed at every start). With DATABASE_URL no embedded database is started at all.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { DEMO_UPSTREAM, dropSchema, storageLabel } from "./helpers/gateway.ts";
import { spawnGateway, waitUntil, type GatewayProcess } from "./helpers/process.ts";

const PHASES = ["storage", "keys and grants", "policies", "policy admin and sealing key", "approvals", "slack", "upstreams", "queues", "http"];

describe(`gatehouse start: start-up phases and the embedded database (${storageLabel()})`, () => {
  let dir: string;
  let gateway: GatewayProcess | undefined;
  const schema = `gh_phase_${randomBytes(4).toString("hex")}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-phases-"));
    await writeFile(join(dir, "smartlead.json"), JSON.stringify({ version: "1", default: "deny", tools: { "smartlead_get_*": {} } }));
    await writeFile(join(dir, "gatehouse.json"), JSON.stringify({ upstreams: { smartlead: { ...DEMO_UPSTREAM, policy: "smartlead.json" } }, storage: { dataDir: "data", schema } }));
  });
  after(async () => {
    await gateway?.stop();
    if (process.env.DATABASE_URL) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("logs one start-up phases line at debug level, and opens the embedded database with 16 MB of shared buffers", async () => {
    gateway = await spawnGateway(join(dir, "gatehouse.json"), { LOG_LEVEL: "debug" });
    const logged = await waitUntil(
      async () => gateway!.stderr(),
      (text) => text.includes('"start-up phases"'),
    );
    const line = logged.split("\n").find((text) => text.includes('"start-up phases"'))!;
    const entry = JSON.parse(line) as { level: number; startupMs: number; phases: Record<string, number> };
    assert.equal(entry.level, 20, "debug");
    assert.deepEqual(Object.keys(entry.phases), PHASES);
    for (const [phase, ms] of Object.entries(entry.phases)) assert.ok(Number.isInteger(ms) && ms >= 0, `${phase}: ${ms}`);
    const sum = Object.values(entry.phases).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - entry.startupMs) <= PHASES.length, `phases add up to startupMs (${sum} vs ${entry.startupMs})`);

    const advertisement = join(dir, "data", "embedded.json");
    if (process.env.DATABASE_URL) {
      assert.equal(existsSync(advertisement), false, "no embedded database is started when DATABASE_URL is set");
      return;
    }
    const { port } = JSON.parse(await readFile(advertisement, "utf8")) as { port: number };
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await client.connect();
    try {
      const { rows } = await client.query<{ shared_buffers: string }>("SHOW shared_buffers");
      assert.equal(rows[0]?.shared_buffers, "16MB");
    } finally {
      await client.end();
    }
  });
});

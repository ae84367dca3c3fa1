// The MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against its own
// reference server, directly and through Gatehouse, for revisions 2025-11-25 and 2026-07-28. Every
// scenario that passes directly passes through the gateway, and docs/conformance.md shows exactly the
// table this run produces. The suite needs Node ≥ 22 (helpers/node22.ts finds or fetches one).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../src/config/index.ts";
import { startConformanceServer } from "./helpers/conformance.ts";
import { startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { node22 } from "./helpers/node22.ts";

const run = promisify(execFile);
const SUITE = join(PROJECT_ROOT, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;
type Revision = (typeof REVISIONS)[number];
/** Per scenario: "pass", or the ids of its failed checks. */
type Outcome = Map<string, string[]>;

async function runSuite(url: string, revision: Revision): Promise<Outcome> {
  const out = await mkdtemp(join(tmpdir(), "gatehouse-conformance-"));
  try {
    // The suite exits non-zero when a check fails; the results are in its output directory either way.
    await run(await node22(), [SUITE, "server", "--url", url, "--spec-version", revision, "-o", out], { cwd: PROJECT_ROOT, timeout: 120_000 }).catch((error: { code?: unknown }) => {
      if (typeof error.code !== "number") throw error;
    });
    const outcome: Outcome = new Map();
    for (const dir of await readdir(out)) {
      const scenario = dir.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
      const checks = JSON.parse(await readFile(join(out, dir, "checks.json"), "utf8")) as Array<{ id: string; status: string }>;
      outcome.set(scenario, checks.filter((c) => c.status === "FAILURE").map((c) => c.id));
    }
    return outcome;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The rows of docs/conformance.md's table: scenario → [direct 2025, gateway 2025, direct 2026, gateway 2026]. */
async function documentedTable(): Promise<Map<string, string[]>> {
  const text = await readFile(join(PROJECT_ROOT, "docs/conformance.md"), "utf8");
  const rows = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    const scenario = /^`([a-z0-9-]+)`$/.exec(cells[0] ?? "")?.[1];
    if (scenario && cells.length === 5) rows.set(scenario, cells.slice(1));
  }
  return rows;
}

const cell = (outcome: Outcome, scenario: string) => {
  const failed = outcome.get(scenario);
  if (failed === undefined) return "–";
  return failed.length === 0 ? "pass" : `fail (${failed.join(", ")})`;
};

describe(`MCP conformance suite, directly and through Gatehouse (${storageLabel()})`, () => {
  let reference: Awaited<ReturnType<typeof startConformanceServer>>;
  let gw: TestGateway;
  const results = new Map<string, Outcome>();

  before(async () => {
    [reference] = await Promise.all([startConformanceServer(), node22()]);
    // The suite sends no token: this gateway serves /mcp as one grant (auth.mode "none"), policy default allow.
    gw = await startTestGateway({ upstreams: { conf: { url: reference.url } }, policies: {}, extraConfig: { auth: { mode: "none", grant: "conformance" } } });
    for (const revision of REVISIONS) {
      results.set(`direct ${revision}`, await runSuite(reference.url, revision));
      results.set(`gateway ${revision}`, await runSuite(`${gw.url}/mcp`, revision));
    }
  });
  after(async () => {
    await gw?.close();
    await reference?.close();
  });

  for (const revision of REVISIONS) {
    it(`passes through the gateway every ${revision} scenario that passes directly`, () => {
      const direct = results.get(`direct ${revision}`)!;
      const through = results.get(`gateway ${revision}`)!;
      assert.ok(direct.size > 15, `the suite ran (${direct.size} scenarios)`);
      const lost = [...direct].filter(([scenario, failed]) => failed.length === 0 && through.get(scenario)?.length !== 0).map(([s]) => `${s}: ${cell(through, s)}`);
      assert.deepEqual(lost, []);
    });
  }

  it("passes every 2026-07-28 scenario of the suite's active set through the gateway (the reference server itself speaks only 2025-11-25)", () => {
    const through = results.get("gateway 2026-07-28")!;
    const failing = [...through].filter(([, failed]) => failed.length > 0).map(([s, failed]) => `${s}: ${failed.join(", ")}`);
    assert.deepEqual(failing, []);
  });

  it("matches the table in docs/conformance.md, row for row", async () => {
    const documented = await documentedTable();
    const scenarios = new Set([...results.values()].flatMap((outcome) => [...outcome.keys()]));
    const measured = new Map([...scenarios].map((s) => [s, [`direct 2025-11-25`, `gateway 2025-11-25`, `direct 2026-07-28`, `gateway 2026-07-28`].map((k) => cell(results.get(k)!, s))]));
    const table = (rows: Map<string, string[]>) => [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([s, cells]) => `| \`${s}\` | ${cells.join(" | ")} |`);
    assert.deepEqual(table(documented), table(measured), `docs/conformance.md should hold these rows:\n${table(measured).join("\n")}`);
  });
});

// Start-up refusals a user meets: unsafe auth settings, a Redis that would lose jobs, a bad config.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { parseConfig } from "../src/config/index.ts";
import { isGatewayError } from "../src/errors.ts";
import { connectRedis } from "../src/redis/index.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel } from "./helpers/gateway.ts";
import { freePort } from "./helpers/ports.ts";

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;

describe(`start-up checks (${storageLabel()})`, () => {
  it("refuses auth mode none on a non-loopback address", async () => {
    await assert.rejects(
      startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: {}, extraConfig: { auth: { mode: "none" }, listen: { host: "0.0.0.0", port: 0 } } }),
      (error: unknown) => isGatewayError(error) && /only allowed on a loopback address/.test(error.message),
    );
  });

  it("serves clients without a token when auth mode is none on loopback, as the configured grant", async () => {
    const gw = await startTestGateway({
      upstreams: { smartlead: DEMO_UPSTREAM },
      policies: { smartlead: { version: "1", default: "deny", tools: { "smartlead_get_*": {} } } },
      extraConfig: { auth: { mode: "none", grant: "local-tools" } },
    });
    try {
      const client = await gw.connect("");
      const result = await client.callTool({ name: "smartlead_get_all_email_accounts", arguments: {} });
      assert.equal(result.isError, undefined);
      assert.ok(await gw.instance.grants.findByName("local-tools"));
    } finally {
      await gw.close();
    }
  });

  it("rejects a config file with the file, the JSON path and the problem", () => {
    assert.throws(
      () => parseConfig(JSON.stringify({ upstreams: { Bad_Name: { command: "x" } } }), "/etc/gatehouse.json"),
      /\/etc\/gatehouse\.json: \/upstreams\/Bad_Name: .*lowercase/,
    );
    assert.throws(() => parseConfig(JSON.stringify({ upstreams: { a: { url: "http://x/mcp", headers: { Authorization: "${MISSING_VAR_X}" } } } }), "g.json", {}), /environment variable MISSING_VAR_X is not set/);
  });

  it("refuses a Redis whose maxmemory-policy would evict BullMQ's keys", { skip: !hasRedisServer && "redis-server is not installed" }, async () => {
    const port = await freePort();
    const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      await new Promise<void>((resolve) => redis.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("Ready to accept connections") && resolve()));
      await assert.rejects(connectRedis(`redis://127.0.0.1:${port}`), (error: unknown) => {
        assert.ok(isGatewayError(error));
        assert.equal(error.code, "redis_misconfigured");
        assert.match(error.message, /maxmemory-policy "allkeys-lru"/);
        assert.match(error.message, /CONFIG SET maxmemory-policy noeviction/);
        return true;
      });
    } finally {
      redis.kill("SIGKILL");
    }
  });
});

// What an MCP client finds when it meets Gatehouse without a token: a 401 whose WWW-Authenticate points at
// Protected Resource Metadata (RFC 9728) naming no authorization server, and 404s at every OAuth address a
// client tries next, each saying that Gatehouse takes grant tokens. Then what real clients show their
// user: mcp-remote (as a desktop client runs it), the MCP Inspector CLI, the SDK client.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { makeClientHome, NODE_ONLY_PATH, packageBin, runTracked, stopAll, type ProcessRun } from "./helpers/client-processes.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {} } };
const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const GRANT_TOKEN_HELP =
  "This server needs a Gatehouse grant token, not an OAuth sign-in: send `Authorization: Bearer <grant token>` (an operator creates one with `gatehouse grants create --name <agent>`). Gatehouse has no OAuth authorization server to register with or sign in to.";

describe(`OAuth discovery answered for grant tokens (${storageLabel()})`, () => {
  let gw: TestGateway;
  let metadataUrl: string;
  const runs = new Set<ProcessRun>();

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY } });
    metadataUrl = `${gw.url}/.well-known/oauth-protected-resource/mcp`;
  });
  after(async () => {
    await stopAll(runs);
    await gw.close();
  });

  it("answers /mcp without a token with 401 and WWW-Authenticate naming the resource metadata, without an error code", async () => {
    const response = await fetch(`${gw.url}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INIT) });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), `Bearer realm="gatehouse", resource_metadata="${metadataUrl}"`);
    const body = (await response.json()) as { error: { message: string } };
    assert.equal(body.error.message, "Unauthorized: this server needs a Gatehouse grant token: send Authorization: Bearer <token> (create one with `gatehouse grants create --name <n>`). Gatehouse has no OAuth sign-in.");
  });

  it("answers an unknown or revoked token with error=\"invalid_token\"", async () => {
    const response = await fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...MCP_HEADERS, authorization: "Bearer ghk_not-a-real-token" }, body: JSON.stringify(INIT) });
    assert.equal(response.status, 401);
    assert.equal(
      response.headers.get("www-authenticate"),
      `Bearer realm="gatehouse", resource_metadata="${metadataUrl}", error="invalid_token", error_description="The grant token is unknown or revoked"`,
    );
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /^Unauthorized: the grant token is unknown or revoked\./);
  });

  it("serves RFC 9728 metadata for /mcp at the URL the challenge names, and for the origin: no authorization server", async () => {
    const forMcp = await fetch(metadataUrl);
    assert.equal(forMcp.status, 200);
    assert.match(forMcp.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await forMcp.json(), {
      resource: `${gw.url}/mcp`,
      resource_name: "Gatehouse MCP gateway",
      bearer_methods_supported: ["header"],
      gatehouse_grant_tokens: GRANT_TOKEN_HELP,
    });
    const forOrigin = (await (await fetch(`${gw.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
    assert.equal(forOrigin.resource, gw.url);
    assert.equal("authorization_servers" in forOrigin, false);
  });

  it("answers every authorization-server address with a 404 saying Gatehouse uses grant tokens", async () => {
    const addresses: Array<[string, string]> = [
      ["GET", "/.well-known/oauth-authorization-server"],
      ["GET", "/.well-known/oauth-authorization-server/mcp"],
      ["GET", "/.well-known/openid-configuration"],
      ["GET", "/.well-known/openid-configuration/mcp"],
      ["GET", "/mcp/.well-known/openid-configuration"],
      ["POST", "/register"],
      ["GET", "/authorize"],
      ["POST", "/token"],
    ];
    for (const [method, path] of addresses) {
      const response = await fetch(`${gw.url}${path}`, { method, redirect: "manual", ...(method === "POST" && { headers: { "content-type": "application/json" }, body: "{}" }) });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.deepEqual(await response.json(), { error: "grant_token_required", error_description: GRANT_TOKEN_HELP }, `${method} ${path}`);
    }
    const elsewhere = await fetch(`${gw.url}/.well-known/oauth-protected-resource/api`);
    assert.equal(elsewhere.status, 404);
    assert.match(((await elsewhere.json()) as { error_description: string }).error_description, /^No protected resource at \/api: the MCP endpoint is \/mcp\./);
  });

  it("mcp-remote, started as a desktop client starts it, exits 1 saying the server needs a grant token", async () => {
    const home = await makeClientHome("mcp-remote");
    try {
      const run = runTracked(runs, process.execPath, [packageBin("mcp-remote", "mcp-remote"), `${gw.url}/mcp`, "--transport", "http-only"], { PATH: NODE_ONLY_PATH, ...home.env }, home.dir);
      const { code, stderr } = await run.exited;
      assert.equal(code, 1, stderr);
      assert.match(stderr, /Fatal error: RegistrationRejectedError: Dynamic Client Registration rejected \(HTTP 404\): \{"error":"grant_token_required","error_description":"This server needs a Gatehouse grant token, not an OAuth sign-in: send `Authorization: Bearer <grant token>` \(an operator creates one with `gatehouse grants create --name <agent>`\)/);
    } finally {
      await home.remove();
    }
  });

  describe("the MCP Inspector CLI", () => {
    const inspect = async (extraArgs: string[], env: Record<string, string> = {}) => {
      const home = await makeClientHome("inspector");
      try {
        const args = [packageBin("@modelcontextprotocol/inspector", "mcp-inspector"), "--cli", `${gw.url}/mcp`, "--transport", "http", "--method", "tools/list", ...extraArgs];
        const { code, stdout, stderr } = await runTracked(runs, process.execPath, args, { PATH: NODE_ONLY_PATH, ...home.env, ...env }, home.dir).exited;
        const line = `${stdout}\n${stderr}`.split("\n").find((l) => l.startsWith('{"error"'));
        return { code, error: line ? (JSON.parse(line) as { error: { code: string; message: string } }).error : null, output: stdout + stderr };
      } finally {
        await home.remove();
      }
    };

    it("as at a terminal (it would sign in): exit 1 with the registration refusal, which says to use a grant token", async () => {
      const { code, error, output } = await inspect([], { MCP_AUTO_OPEN_ENABLED: "true" });
      assert.equal(code, 1, output);
      assert.equal(error?.code, "error");
      assert.match(error?.message ?? "", /^Dynamic Client Registration rejected \(HTTP 404\): /);
      assert.ok(error?.message.includes(GRANT_TOKEN_HELP), error?.message);
    });

    it("with no terminal and no flag: exit 3 with its own advice", async () => {
      const { code, error, output } = await inspect([]);
      assert.equal(code, 3, output);
      assert.equal(error?.message, "Interactive OAuth requires a TTY on stdin or stderr (or MCP_AUTO_OPEN_ENABLED=true). For CI/non-interactive runs use --stored-auth-only.");
    });

    it("with --stored-auth-only: exit 3 (auth_required) with the gateway's own 401 message", async () => {
      const { code, error, output } = await inspect(["--stored-auth-only"]);
      assert.equal(code, 3, output);
      assert.equal(error?.code, "auth_required");
      assert.match(error?.message ?? "", /Unauthorized: this server needs a Gatehouse grant token: send Authorization: Bearer <token> \(create one with `gatehouse grants create --name <n>`\)/);
    });
  });

  it("the SDK client without a token fails to connect with the gateway's 401 message", async () => {
    const client = new Client({ name: "sdk", version: "1" });
    await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`))), /Error POSTing to endpoint: .*Unauthorized: this server needs a Gatehouse grant token/);
  });
});

describe(`OAuth metadata behind a proxy and without tokens (${storageLabel()})`, () => {
  it("names the public https URL when a request comes in under dashboard.publicUrl's host", async () => {
    const gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { dashboard: { publicUrl: "https://gatehouse.example.com" } } });
    try {
      const { request } = await import("node:http");
      const port = new URL(gw.url).port;
      const answer = await new Promise<{ status: number; challenge: string }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, method: "POST", path: "/mcp", headers: { ...MCP_HEADERS, host: "gatehouse.example.com" } }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, challenge: String(res.headers["www-authenticate"]) }));
        });
        req.on("error", reject);
        req.end(JSON.stringify(INIT));
      });
      assert.deepEqual(answer, { status: 401, challenge: 'Bearer realm="gatehouse", resource_metadata="https://gatehouse.example.com/.well-known/oauth-protected-resource/mcp"' });
    } finally {
      await gw.close();
    }
  });

  it("serves no resource metadata when auth.mode is none, and says why", async () => {
    const gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { auth: { mode: "none", grant: "local" } } });
    try {
      const response = await fetch(`${gw.url}/.well-known/oauth-protected-resource/mcp`);
      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), { error: "no_token_required", error_description: 'This gateway takes no token (auth.mode is "none"): connect to /mcp without one.' });
    } finally {
      await gw.close();
    }
  });
});

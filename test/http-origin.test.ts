// DNS-rebinding protection at the HTTP edge: a page on a name the attacker controls, re-pointed at 127.0.0.1,
// reaches the gateway with that name in Host; a page on another site calls it with its own Origin. Both are
// refused with 403 and a message naming the header and the setting that allows it; the gateway's own names,
// the configured ones and same-origin pages are served. Raw HTTP (node:http) sends exactly the headers a
// browser would, which fetch does not let a caller choose.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { parseConfig } from "../src/config/index.ts";
import { hostRulesFor, refusalFor, type HostRules } from "../src/http/host-guard.ts";
import { createLogger } from "../src/log/index.ts";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {} } };

interface Answer {
  status: number;
  contentType: string;
  body: string;
  sessionId?: string;
}

/** One HTTP request to `url` (an address) carrying exactly the given headers, Host included. */
function send(url: string, options: { method?: string; path: string; headers: Record<string, string>; body?: unknown }): Promise<Answer> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: target.port,
        method: options.method ?? (body ? "POST" : "GET"),
        path: options.path,
        setHost: false,
        headers: { ...(body ? { "content-type": "application/json", accept: "application/json, text/event-stream" } : {}), ...options.headers },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), body: text, sessionId: res.headers["mcp-session-id"] as string | undefined }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe(`Host and Origin checks (${storageLabel()})`, () => {
  describe("a gateway bound to 127.0.0.1 (the default)", () => {
    let gw: TestGateway;
    let token: string;
    let port: string;
    const logged: string[] = [];

    before(async () => {
      gw = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        logger: createLogger("warn", { write: (line: string) => void logged.push(line) }),
      });
      token = await gw.createToken("rebind-agent");
      port = new URL(gw.url).port;
    });
    after(() => gw.close());

    const initialize = (host: string, headers: Record<string, string> = {}) => send(gw.url, { path: "/mcp", headers: { host, authorization: `Bearer ${token}`, ...headers }, body: INIT });

    it("refuses Host: evil.example.com on /mcp with 403 and a JSON-RPC error saying how to allow it, before opening a session", async () => {
      const sessions = gw.instance.mcp!.sessionCount();
      const answer = await initialize("evil.example.com");
      assert.equal(answer.status, 403);
      const body = JSON.parse(answer.body) as { jsonrpc: string; id: null; error: { code: number; message: string; data: Record<string, string> } };
      assert.equal(body.jsonrpc, "2.0");
      assert.equal(body.error.code, -32000);
      assert.equal(
        body.error.message,
        'Refused: Host "evil.example.com" is not a name this gateway serves (DNS-rebinding protection). If clients reach Gatehouse under this name (a reverse proxy, a tunnel, another hostname), add "evil.example.com" to listen.allowedHosts in gatehouse.json.',
      );
      assert.deepEqual(body.error.data, { code: "host_not_allowed", header: "Host", value: "evil.example.com", setting: "listen.allowedHosts" });
      assert.equal(gw.instance.mcp!.sessionCount(), sessions, "no session was opened");
      assert.ok(logged.some((line) => /request refused: Host or Origin not allowed/.test(line) && line.includes("evil.example.com")), "the operator sees it in the log");
    });

    it("refuses an open session's request under a foreign Host or Origin the same way (it is read before express)", async () => {
      const opened = await initialize(`127.0.0.1:${port}`);
      assert.equal(opened.status, 200);
      const id = opened.sessionId!;
      const list = { jsonrpc: "2.0", id: 2, method: "tools/list" };
      const headers = { authorization: `Bearer ${token}`, "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
      const foreign = await send(gw.url, { path: "/mcp", headers: { ...headers, host: "evil.example.com" }, body: list });
      assert.equal(foreign.status, 403);
      assert.equal((JSON.parse(foreign.body) as { error: { data: { code: string } } }).error.data.code, "host_not_allowed");
      const crossSite = await send(gw.url, { path: "/mcp", headers: { ...headers, host: `127.0.0.1:${port}`, origin: "https://evil.example.com" }, body: list });
      assert.equal(crossSite.status, 403);
      assert.equal((JSON.parse(crossSite.body) as { error: { data: { code: string } } }).error.data.code, "origin_not_allowed");
      const served = await send(gw.url, { path: "/mcp", headers: { ...headers, host: `127.0.0.1:${port}` }, body: list });
      assert.equal(served.status, 200);
      assert.match(served.body, /"tools":\[/);
    });

    it("refuses the attacker's name with the gateway's port too, and a loopback name on another port", async () => {
      assert.equal((await initialize(`evil.example.com:${port}`)).status, 403);
      assert.equal((await initialize("localhost:1")).status, 403);
    });

    for (const host of ["127.0.0.1:PORT", "localhost:PORT", "[::1]:PORT", "127.0.0.1", "localhost", "[::1]", "LOCALHOST:PORT"]) {
      it(`serves Host: ${host}`, async () => {
        const answer = await initialize(host.replace("PORT", port));
        assert.equal(answer.status, 200, answer.body);
        assert.match(answer.body, /"serverInfo"/);
      });
    }

    it("protects the dashboard, the admin API and readiness too, with problem JSON; /healthz answers anyone", async () => {
      for (const path of ["/", "/sign-in", "/api/approvals", "/readyz", "/metrics", "/.well-known/oauth-protected-resource/mcp"]) {
        const answer = await send(gw.url, { path, headers: { host: "evil.example.com", authorization: `Bearer ${ADMIN_TOKEN}` } });
        assert.equal(answer.status, 403, path);
        assert.match(answer.contentType, /^application\/problem\+json/, path);
        const problem = JSON.parse(answer.body) as { code: string; status: number; detail: string };
        assert.equal(problem.code, "host_not_allowed", path);
        assert.match(problem.detail, /add "evil\.example\.com" to listen\.allowedHosts/, path);
      }
      const health = await send(gw.url, { path: "/healthz", headers: { host: "evil.example.com" } });
      assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: "ok" }]);
      // Slack's callbacks are signed, so they pass whatever the Host (no Slack here: the route's own 404).
      const slack = await send(gw.url, { path: "/slack/events", headers: { host: "hooks.example.com" }, body: {} });
      assert.equal(slack.status, 404);
      assert.match(slack.body, /No Slack route/);
      assert.equal((await send(gw.url, { path: "/api/approvals", headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200);
    });

    it("refuses a browser request from another site's Origin with 403, naming listen.allowedOrigins", async () => {
      const answer = await initialize(`127.0.0.1:${port}`, { origin: "http://evil.example.com" });
      assert.equal(answer.status, 403);
      const body = JSON.parse(answer.body) as { error: { message: string; data: Record<string, string> } };
      assert.equal(
        body.error.message,
        'Refused: a browser request from Origin "http://evil.example.com" may not call this gateway (only its own pages may). To let a web app on that origin call it, add "http://evil.example.com" to listen.allowedOrigins in gatehouse.json.',
      );
      assert.equal(body.error.data.header, "Origin");
      // Another local web app (a dev server on another port) is another origin as well.
      assert.equal((await initialize(`localhost:${port}`, { origin: "http://localhost:3000" })).status, 403);
      assert.equal((await initialize(`localhost:${port}`, { origin: "null" })).status, 403, "sandboxed frames and files send Origin: null");
      const dashboard = await send(gw.url, { path: "/sign-in", headers: { host: `127.0.0.1:${port}`, origin: "https://evil.example.com" } });
      assert.equal(dashboard.status, 403);
      assert.equal((JSON.parse(dashboard.body) as { code: string }).code, "origin_not_allowed");
    });

    it("serves the gateway's own pages (Origin of the same host)", async () => {
      assert.equal((await initialize(`127.0.0.1:${port}`, { origin: `http://127.0.0.1:${port}` })).status, 200);
      assert.equal((await initialize(`localhost:${port}`, { origin: `http://localhost:${port}` })).status, 200);
    });

    it("still serves an SDK client at the address the banner prints", async () => {
      const client = new Client({ name: "sdk", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      assert.ok((await client.listTools()).tools.length > 0);
      await client.close();
    });
  });

  describe("auth.mode none on loopback (no token to stop a rebinding page)", () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { auth: { mode: "none", grant: "local" } } });
    });
    after(() => gw.close());

    it("refuses the rebinding page and serves the local client", async () => {
      const port = new URL(gw.url).port;
      assert.equal((await send(gw.url, { path: "/mcp", headers: { host: `rebind.evil.example.com:${port}` }, body: INIT })).status, 403);
      const local = await send(gw.url, { path: "/mcp", headers: { host: `localhost:${port}` }, body: INIT });
      assert.equal(local.status, 200, local.body);
    });
  });

  describe("configured names: listen.allowedHosts, listen.allowedOrigins, dashboard.publicUrl", () => {
    let gw: TestGateway;
    let token: string;
    before(async () => {
      gw = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: {
          listen: { host: "127.0.0.1", port: 0, allowedHosts: ["gatehouse.internal", "tunnel.example.com:8443"], allowedOrigins: ["https://app.example.com"] },
          dashboard: { publicUrl: "https://gatehouse.example.com" },
        },
      });
      token = await gw.createToken("proxied-agent");
    });
    after(() => gw.close());

    const initialize = (headers: Record<string, string>) => send(gw.url, { path: "/mcp", headers: { authorization: `Bearer ${token}`, ...headers }, body: INIT });

    it("serves the listed names exactly as listed, the public URL's host, and still the loopback names", async () => {
      const port = new URL(gw.url).port;
      for (const host of ["gatehouse.internal", "tunnel.example.com:8443", "gatehouse.example.com", `127.0.0.1:${port}`]) {
        const answer = await initialize({ host });
        assert.equal(answer.status, 200, `${host}: ${answer.body}`);
      }
      for (const host of ["gatehouse.internal:8080", "tunnel.example.com", "evil.example.com"]) assert.equal((await initialize({ host })).status, 403, host);
    });

    it("serves the listed origins and the public URL's, and refuses others", async () => {
      assert.equal((await initialize({ host: "gatehouse.internal", origin: "https://app.example.com" })).status, 200);
      assert.equal((await initialize({ host: "gatehouse.internal", origin: "https://gatehouse.example.com" })).status, 200);
      assert.equal((await initialize({ host: "gatehouse.internal", origin: "https://other.example.com" })).status, 403);
    });
  });

  describe("a gateway bound to every interface (0.0.0.0)", () => {
    it("checks no Host unless listen.allowedHosts is set, and says so at start-up; Origin is still checked", async () => {
      const logged: string[] = [];
      const gw = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: { listen: { host: "0.0.0.0", port: 0 } },
        logger: createLogger("warn", { write: (line: string) => void logged.push(line) }),
      });
      try {
        const token = await gw.createToken("lan-agent");
        const answer = await send(gw.url, { path: "/mcp", headers: { host: "gatehouse.lan:8787", authorization: `Bearer ${token}` }, body: INIT });
        assert.equal(answer.status, 200);
        assert.ok(logged.some((line) => line.includes("Listening on 0.0.0.0 without DNS-rebinding protection: any Host header is served. List the names clients use in listen.allowedHosts")));
        assert.equal((await send(gw.url, { path: "/mcp", headers: { host: "gatehouse.lan:8787", origin: "http://evil.example.com", authorization: `Bearer ${token}` }, body: INIT })).status, 403);
      } finally {
        await gw.close();
      }
    });

    it("checks Host once listen.allowedHosts names the gateway's names, still serving loopback and the bound address (the CLI's way in)", async () => {
      const gw = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: { listen: { host: "0.0.0.0", port: 0, allowedHosts: ["gatehouse.lan:8787"] } },
      });
      try {
        const token = await gw.createToken("lan-agent");
        const ok = await send(gw.url, { path: "/mcp", headers: { host: "gatehouse.lan:8787", authorization: `Bearer ${token}` }, body: INIT });
        assert.equal(ok.status, 200);
        const refused = await send(gw.url, { path: "/mcp", headers: { host: "evil.example.com", authorization: `Bearer ${token}` }, body: INIT });
        assert.equal(refused.status, 403);
        const port = new URL(gw.url).port;
        for (const host of [`0.0.0.0:${port}`, `127.0.0.1:${port}`, `localhost:${port}`]) {
          assert.equal((await send(gw.url, { path: "/mcp", headers: { host, authorization: `Bearer ${token}` }, body: INIT })).status, 200, host);
        }
        assert.equal(gw.url, `http://0.0.0.0:${port}`, "the address gateway.json gives the CLI");
      } finally {
        await gw.close();
      }
    });
  });

  it("decides by the rules in the table (pure)", () => {
    const loopback = hostRulesFor({ listenHost: "127.0.0.1" });
    const rows: Array<[HostRules, string | undefined, string | undefined, "Host" | "Origin" | null]> = [
      [loopback, "localhost:8787", undefined, null],
      [loopback, "localhost:8788", undefined, "Host"],
      [loopback, "evil.example.com", undefined, "Host"],
      [loopback, undefined, undefined, "Host"],
      [loopback, "127.0.0.1:8787", "http://127.0.0.1:8787", null],
      [loopback, "127.0.0.1:8787", "http://localhost:8787", "Origin"],
      [loopback, "127.0.0.1:8787", "null", "Origin"],
      [loopback, "127.0.0.1:8787", "chrome-extension://abc", "Origin"],
      [hostRulesFor({ listenHost: "localhost", allowedHosts: ["*"] }), "evil.example.com", undefined, null],
      [hostRulesFor({ listenHost: "::1", allowedOrigins: ["null", "HTTP://App.Example.com:80/"] }), "[::1]:8787", "null", null],
      [hostRulesFor({ listenHost: "::1", allowedOrigins: ["http://app.example.com"] }), "[::1]:8787", "http://app.example.com", null],
      [hostRulesFor({ listenHost: "::", allowedHosts: ["gh.lan"] }), "[::]:8787", undefined, null],
      [hostRulesFor({ listenHost: "192.0.2.7" }), "anything.example.com", undefined, null],
      [hostRulesFor({ listenHost: "192.0.2.7", allowedOrigins: ["*"] }), "anything.example.com", "https://elsewhere.example.com", null],
    ];
    for (const [rules, host, origin, refused] of rows) assert.equal(refusalFor(rules, host, origin, 8787)?.header ?? null, refused, `${host} ${origin}`);
    assert.equal(hostRulesFor({ listenHost: "localhost", allowedHosts: ["*"] }).warning, null, '"*" is a choice: no warning');
    assert.equal(hostRulesFor({ listenHost: "0.0.0.0", allowedHosts: ["*"] }).warning, null);
    assert.match(hostRulesFor({ listenHost: "0.0.0.0" }).warning ?? "", /without DNS-rebinding protection/);
  });

  it("rejects entries that are not a Host or an Origin, naming them", () => {
    const config = (listen: unknown) => JSON.stringify({ listen, upstreams: { smartlead: { command: "node" } } });
    assert.throws(() => parseConfig(config({ allowedHosts: ["https://gatehouse.example.com/"] }), "/tmp/gatehouse.json"), (error: Error) => {
      assert.match(error.message, /\/listen\/allowedHosts\/0: "https:\/\/gatehouse\.example\.com\/" is not a host as clients send it in the Host header/);
      return true;
    });
    assert.throws(() => parseConfig(config({ allowedOrigins: ["app.example.com"] }), "/tmp/gatehouse.json"), /\/listen\/allowedOrigins\/0: "app\.example\.com" is not an origin/);
    assert.doesNotThrow(() => parseConfig(config({ allowedHosts: ["*", "gatehouse.example.com:443", "[::1]:8787"], allowedOrigins: ["*", "null", "http://localhost:6274"] }), "/tmp/gatehouse.json"));
  });
});

// README, "Protocol revisions": the gateway speaks MCP up to 2025-11-25; a client asking for the stateless
// 2026-07-28 revision is answered with 2025-11-25, and a request without a session is refused with a
// sentence naming `initialize`. What a client that sends these bytes sees.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const STATELESS_META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };

describe(`README: protocol revisions (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: { version: "1", default: "allow" } } });
    token = await gw.createToken("revisions-agent");
  });
  after(async () => {
    await gw?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(body),
    });

  it("answers an initialize asking for 2026-07-28 with 2025-11-25", async () => {
    const response = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2026-07-28", capabilities: {}, clientInfo: { name: "next-client", version: "1" } } });
    assert.equal(response.status, 200);
    const text = await response.text();
    const data = text.split("\n").find((line) => line.startsWith("data: "));
    const message = JSON.parse(data ? data.slice("data: ".length) : text) as { result: { protocolVersion: string } };
    assert.equal(message.result.protocolVersion, "2025-11-25");
  });

  it("refuses server/discover and any method sent without a session, naming initialize", async () => {
    for (const method of ["server/discover", "tools/list"]) {
      const response = await post({ jsonrpc: "2.0", id: 2, method, params: { _meta: STATELESS_META } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": method });
      assert.equal(response.status, 400, method);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /the first request of a session must be initialize/, method);
    }
  });

  it("an SDK client with its defaults settles on 2025-11-25", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: "sdk-defaults", version: "1" });
    await client.connect(transport);
    try {
      assert.equal(transport.protocolVersion, "2025-11-25");
    } finally {
      await client.close();
    }
  });
});

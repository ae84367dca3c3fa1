// `gatehouse stdio` serves the same relay as /mcp: resources, prompts, the upstreams' sampling requests
// sent to the stdio client, and list changes (a policy edit) told to it.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CreateMessageRequestSchema, PromptListChangedNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { gatewayTargets } from "./helpers/clients.ts";
import { startConformanceServer } from "./helpers/conformance.ts";
import { EVERYTHING_STDIO } from "./helpers/everything.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

describe(`gatehouse stdio relays resources, prompts and sampling (${storageLabel()})`, () => {
  let conformance: Awaited<ReturnType<typeof startConformanceServer>>;
  let dir: string;
  let gw: TestGateway;
  let client: Client;

  before(async () => {
    conformance = await startConformanceServer();
    dir = await mkdtemp(join(tmpdir(), "gatehouse-relay-stdio-"));
    gw = await startTestGateway({ dir, upstreams: { conf: { url: conformance.url }, everything: EVERYTHING_STDIO }, policies: {} });
    const grant = { name: "desktop", token: await gw.createToken("desktop") };
    const { stdio } = gatewayTargets(gw, grant);
    client = new Client({ name: "desktop-app", version: "1.0.0" }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: "desktop-model", role: "assistant", content: { type: "text", text: "answered over stdio" } }));
    await client.connect(new StdioClientTransport({ ...stdio, stderr: "ignore" }));
  });
  after(async () => {
    await client?.close();
    await gw?.close();
    await conformance?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("offers, lists and reads the upstreams' resources and prompts", async () => {
    assert.ok(client.getServerCapabilities()?.resources);
    assert.deepEqual(await client.readResource({ uri: "conf+test://static-text" }), {
      contents: [{ uri: "conf+test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." }],
    });
    const prompt = await client.getPrompt({ name: "conf__test_simple_prompt" });
    assert.deepEqual(prompt.messages, [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }]);
  });

  it("sends an upstream's sampling request to the stdio client", async () => {
    const result = await client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "hi" } });
    assert.match(textOf(result), /answered over stdio/);
  });

  it("tells the stdio client when a policy edit changes its lists", async () => {
    const tools = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    const prompts = new Promise<void>((resolve) => client.setNotificationHandler(PromptListChangedNotificationSchema, () => resolve()));
    await writeFile(join(dir, "conf.policy.json"), JSON.stringify({ version: "1", default: "allow", prompts: { test_simple_prompt: { action: "hide" } } }));
    await Promise.all([tools, prompts]);
    await assert.rejects(client.getPrompt({ name: "conf__test_simple_prompt" }), /Prompt test_simple_prompt not found/);
  });
});

// Resources, prompts and completions through the gateway, against @modelcontextprotocol/server-everything
// (stdio) and the conformance suite's reference server (Streamable HTTP), compared with what a client
// connected directly gets: the same items, with the upstream named in front when there are several.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type Prompt,
  type Resource,
  type ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import { startConformanceServer } from "./helpers/conformance.ts";
import { EVERYTHING_STDIO } from "./helpers/everything.ts";
import { startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

type Server = Awaited<ReturnType<typeof startConformanceServer>>;

async function connectDirect(url: string): Promise<Client> {
  const client = new Client({ name: "direct", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function allResources(client: Client): Promise<Resource[]> {
  const items: Resource[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listResources(cursor === undefined ? undefined : { cursor });
    items.push(...page.resources);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

async function allTemplates(client: Client): Promise<ResourceTemplate[]> {
  const items: ResourceTemplate[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listResourceTemplates(cursor === undefined ? undefined : { cursor });
    items.push(...page.resourceTemplates);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

async function allPrompts(client: Client): Promise<Prompt[]> {
  const items: Prompt[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listPrompts(cursor === undefined ? undefined : { cursor });
    items.push(...page.prompts);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

function notified(client: Client, schema: typeof ResourceListChangedNotificationSchema | typeof PromptListChangedNotificationSchema | typeof ToolListChangedNotificationSchema): Promise<void> {
  return new Promise((resolve) => client.setNotificationHandler(schema, () => resolve()));
}

describe(`relay with two upstreams: resources, prompts, completion (${storageLabel()})`, () => {
  let conformance: Server;
  let gw: TestGateway;
  let direct: Client;
  let agent: Client;
  let token: string;

  before(async () => {
    conformance = await startConformanceServer();
    gw = await startTestGateway({ upstreams: { everything: EVERYTHING_STDIO, conf: { url: conformance.url } }, policies: {} });
    token = await gw.createToken("relay-agent");
    agent = await gw.connect(token);
    direct = await connectDirect(conformance.url);
  });
  after(async () => {
    await direct?.close();
    await gw?.close();
    await conformance?.close();
  });

  it("offers clients what the upstreams offer together", () => {
    const { resources, prompts, completions, logging } = agent.getServerCapabilities() ?? {};
    assert.deepEqual({ resources, prompts, completions, logging }, { resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, completions: {}, logging: {} });
  });

  it("lists every upstream's resources page by page, each URI with its upstream in front of the scheme", async () => {
    const listed = await allResources(agent);
    const fromConformance = (await direct.listResources()).resources;
    assert.deepEqual(
      listed.filter((r) => r.uri.startsWith("conf+")),
      fromConformance.map((r) => ({ ...r, uri: `conf+${r.uri}` })),
    );
    assert.ok(listed.some((r) => r.uri === "everything+demo://resource/static/document/features.md"));
    assert.ok(listed.every((r) => r.uri.startsWith("conf+") || r.uri.startsWith("everything+")), JSON.stringify(listed.map((r) => r.uri)));
  });

  it("reads text and binary resources exactly as the upstream returns them", async () => {
    for (const uri of ["test://static-text", "test://static-binary"]) {
      const through = await agent.readResource({ uri: `conf+${uri}` });
      const original = await direct.readResource({ uri });
      assert.deepEqual(through, { ...original, contents: original.contents.map((c) => ({ ...c, uri: `conf+${c.uri}` })) });
    }
  });

  it("lists resource templates with the prefix, which stay templates a client can expand and read", async () => {
    const templates = (await allTemplates(agent)).map((t) => t.uriTemplate);
    assert.ok(templates.includes("conf+test://template/{id}/data"), JSON.stringify(templates));
    assert.ok(templates.includes("everything+demo://resource/dynamic/text/{resourceId}"), JSON.stringify(templates));
    const read = await agent.readResource({ uri: "conf+test://template/42/data" });
    assert.equal(read.contents[0]?.uri, "conf+test://template/42/data");
    assert.equal(JSON.parse((read.contents[0] as { text: string }).text).data, "Data for ID: 42");
  });

  it("answers a URI no upstream owns as not found, and an upstream's own not-found as the upstream words it", async () => {
    await assert.rejects(agent.readResource({ uri: "nowhere+test://static-text" }), /-32602.*Resource nowhere\+test:\/\/static-text not found/);
    const directError = await direct.readResource({ uri: "test://missing" }).catch((error: Error) => error.message);
    const relayedError = await agent.readResource({ uri: "conf+test://missing" }).catch((error: Error) => error.message);
    assert.equal(relayedError, directError);
  });

  it("passes prompts through with prefixed names and their arguments, and maps embedded resource URIs", async () => {
    const prompts = await allPrompts(agent);
    const fromConformance = (await direct.listPrompts()).prompts;
    assert.deepEqual(
      prompts.filter((p) => p.name.startsWith("conf__")),
      fromConformance.map((p) => ({ ...p, name: `conf__${p.name}` })),
    );
    assert.ok(prompts.some((p) => p.name === "everything__simple-prompt"));
    const withArgs = await agent.getPrompt({ name: "conf__test_prompt_with_arguments", arguments: { arg1: "one", arg2: "two" } });
    assert.deepEqual(withArgs, await direct.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "one", arg2: "two" } }));
    const embedded = await agent.getPrompt({ name: "conf__test_prompt_with_embedded_resource", arguments: { resourceUri: "test://static-text" } });
    assert.deepEqual(embedded.messages[0]?.content, { type: "resource", resource: { uri: "conf+test://static-text", mimeType: "text/plain", text: "Embedded resource content for testing." } });
  });

  it("completes prompt arguments and template variables, with the reference mapped back to the upstream's name", async () => {
    const department = await agent.complete({ ref: { type: "ref/prompt", name: "everything__completable-prompt" }, argument: { name: "department", value: "E" } });
    assert.deepEqual(department.completion.values, ["Engineering"]);
    const resourceId = await agent.complete({ ref: { type: "ref/resource", uri: "everything+demo://resource/dynamic/text/{resourceId}" }, argument: { name: "resourceId", value: "3" } });
    assert.deepEqual(resourceId.completion.values, ["3"]);
    await assert.rejects(agent.complete({ ref: { type: "ref/prompt", name: "nowhere__x" }, argument: { name: "a", value: "" } }), /Prompt nowhere__x not found/);
  });

  it("maps resource links in tool results so they can be read back, and passes on an upstream's resource list change", async () => {
    const changed = notified(agent, ResourceListChangedNotificationSchema);
    const result = await agent.callTool({ name: "everything__gzip-file-as-resource", arguments: { name: "hello.gz", data: "data:text/plain,hello", outputType: "resourceLink" } });
    const link = (result.content as Array<{ type: string; uri?: string }>)[0];
    assert.equal(link?.type, "resource_link");
    assert.equal(link?.uri, "everything+demo://resource/session/hello.gz");
    await changed;
    const read = await agent.readResource({ uri: link.uri });
    assert.equal(read.contents[0]?.uri, "everything+demo://resource/session/hello.gz");
    assert.equal(read.contents[0]?.mimeType, "application/gzip");
  });

  it("sends a resource update only to the sessions subscribed to that URI", async () => {
    const features = "everything+demo://resource/static/document/features.md";
    const architecture = "everything+demo://resource/static/document/architecture.md";
    const other = await gw.connect(token);
    const seenByAgent: string[] = [];
    const seenByOther: string[] = [];
    agent.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seenByAgent.push(n.params.uri));
    const otherGotOne = new Promise<void>((resolve) =>
      other.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        seenByOther.push(n.params.uri);
        resolve();
      }),
    );
    await agent.subscribeResource({ uri: features });
    await other.subscribeResource({ uri: architecture });
    // The upstream sends one update per subscribed URI, features first, the moment updates are switched on.
    await agent.callTool({ name: "everything__toggle-subscriber-updates", arguments: {} });
    await otherGotOne;
    assert.deepEqual(seenByAgent, [features]);
    assert.deepEqual(seenByOther, [architecture]);

    await agent.unsubscribeResource({ uri: features });
    await agent.callTool({ name: "everything__toggle-subscriber-updates", arguments: {} }); // off
    const again = new Promise<void>((resolve) => other.setNotificationHandler(ResourceUpdatedNotificationSchema, () => resolve()));
    await agent.callTool({ name: "everything__toggle-subscriber-updates", arguments: {} }); // on: sends at once
    await again;
    assert.deepEqual(seenByAgent, [features], "no update after unsubscribing");
    await agent.callTool({ name: "everything__toggle-subscriber-updates", arguments: {} });
    await other.close();
  });

  it("tells every session to list tools, resources and prompts again when a policy reload changes what it may see", async () => {
    const watcher = await gw.connect(token);
    const lists = [notified(watcher, ToolListChangedNotificationSchema), notified(watcher, ResourceListChangedNotificationSchema), notified(watcher, PromptListChangedNotificationSchema)];
    await writeFile(`${gw.dir}/conf.policy.json`, JSON.stringify({ version: "1", default: "allow", resources: { "test://static-*": { action: "hide" } } }));
    await Promise.all(lists);
    const uris = (await allResources(watcher)).map((r) => r.uri);
    assert.ok(!uris.includes("conf+test://static-text") && uris.includes("conf+test://watched-resource"), JSON.stringify(uris));
    await watcher.close();
  });
});

describe(`relay with one upstream: URIs and names pass unchanged (${storageLabel()})`, () => {
  let conformance: Server;
  let gw: TestGateway;
  let direct: Client;
  let agent: Client;

  before(async () => {
    conformance = await startConformanceServer();
    gw = await startTestGateway({ upstreams: { conf: { url: conformance.url } }, policies: {} });
    agent = await gw.connect(await gw.createToken("single-agent"));
    direct = await connectDirect(conformance.url);
  });
  after(async () => {
    await direct?.close();
    await gw?.close();
    await conformance?.close();
  });

  it("lists, reads and gets exactly what a direct client does", async () => {
    assert.deepEqual(await allResources(agent), await allResources(direct));
    assert.deepEqual(await allTemplates(agent), await allTemplates(direct));
    assert.deepEqual(await allPrompts(agent), await allPrompts(direct));
    assert.deepEqual(await agent.readResource({ uri: "test://template/7/data" }), await direct.readResource({ uri: "test://template/7/data" }));
    assert.deepEqual(await agent.getPrompt({ name: "test_simple_prompt" }), await direct.getPrompt({ name: "test_simple_prompt" }));
    const args = { ref: { type: "ref/prompt" as const, name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "x" } };
    assert.deepEqual(await agent.complete(args), await direct.complete(args));
  });
});

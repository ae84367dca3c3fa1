// Policies on resources and prompts through the real gateway: hidden ones do not exist for the client,
// denied ones are refused with the reason and the rule, both are left out of lists, and every read and
// get is audited with its decision.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { startConformanceServer } from "./helpers/conformance.ts";
import { EVERYTHING_STDIO } from "./helpers/everything.ts";
import { startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const ADMIN_TOKEN = "admin-token-for-tests";

async function failure(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof McpError, `expected an MCP error, got ${String(error)}`);
  return error;
}

describe(`policy on resources and prompts (${storageLabel()})`, () => {
  let conformance: Awaited<ReturnType<typeof startConformanceServer>>;
  let gw: TestGateway;
  let agent: Client;

  before(async () => {
    conformance = await startConformanceServer();
    gw = await startTestGateway({
      upstreams: { conf: { url: conformance.url }, everything: EVERYTHING_STDIO },
      policies: {
        conf: {
          version: "1",
          default: "allow",
          resources: { "test://static-binary": { action: "hide" }, "test://template/*": { action: "deny", reason: "Templated data stays with the team." } },
          prompts: { test_prompt_with_image: { action: "hide" }, test_prompt_with_arguments: { action: "deny" } },
        },
        // PolicyLayer-style: default deny; only what is listed is allowed, for resources and prompts too.
        everything: { version: "1", default: "deny", tools: { "*": {} }, resources: { "demo://resource/static/*": {} }, prompts: { "simple-prompt": {} } },
      },
    });
    agent = await gw.connect(await gw.createToken("policy-agent"));
  });
  after(async () => {
    await gw?.close();
    await conformance?.close();
  });

  const listResources = async () => {
    const uris: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await agent.listResources(cursor === undefined ? undefined : { cursor });
      uris.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return uris;
  };

  it("leaves hidden and denied resources out of lists, and lists what the policy allows", async () => {
    const uris = await listResources();
    assert.ok(uris.includes("conf+test://static-text"));
    assert.ok(!uris.includes("conf+test://static-binary"), "hidden");
    assert.ok(uris.includes("everything+demo://resource/static/document/features.md"), "allowed by a glob");
    const templates: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await agent.listResourceTemplates(cursor === undefined ? undefined : { cursor });
      templates.push(...page.resourceTemplates.map((t) => t.uriTemplate));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    assert.deepEqual(templates, [], "conf's template is denied; everything's are not listed under a default deny");
  });

  it("answers a hidden resource exactly like one that does not exist", async () => {
    const hidden = await failure(agent.readResource({ uri: "conf+test://static-binary" }));
    const missing = await failure(agent.readResource({ uri: "conf+test://no-such-thing" }));
    assert.equal(hidden.code, missing.code);
    assert.equal(hidden.message, missing.message.replace("test://no-such-thing", "test://static-binary"));
    const subscribe = await failure(agent.subscribeResource({ uri: "conf+test://static-binary" }));
    assert.equal(subscribe.message, hidden.message);
  });

  it("refuses a denied resource with the reason and the rule, for reads, subscriptions and completions", async () => {
    const denied = await failure(agent.readResource({ uri: "conf+test://template/1/data" }));
    assert.equal(denied.code, -32600);
    assert.match(denied.message, /Templated data stays with the team\./);
    assert.deepEqual(denied.data, { "gatehouse/decision": "deny", "gatehouse/rule": "/resources/test:~1~1template~1*" });
    const subscribe = await failure(agent.subscribeResource({ uri: "conf+test://template/1/data" }));
    assert.equal(subscribe.message, denied.message);
    const completion = await failure(agent.complete({ ref: { type: "ref/resource", uri: "conf+test://template/{id}/data" }, argument: { name: "id", value: "1" } }));
    assert.equal(completion.message, denied.message);
    const byDefault = await failure(agent.readResource({ uri: "everything+demo://resource/dynamic/text/1" }));
    assert.match(byDefault.message, /resource demo:\/\/resource\/dynamic\/text\/1 is not listed in the policy and the default is deny/);
    assert.equal((byDefault.data as Record<string, unknown>)["gatehouse/rule"], "/default");
  });

  it("applies the same rules to prompts: hidden is not found, denied is refused, only allowed ones are listed", async () => {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await agent.listPrompts(cursor === undefined ? undefined : { cursor });
      all.push(...page.prompts.map((p) => p.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    assert.ok(all.includes("conf__test_simple_prompt") && all.includes("everything__simple-prompt"), JSON.stringify(all));
    assert.ok(!all.includes("conf__test_prompt_with_image") && !all.includes("conf__test_prompt_with_arguments") && !all.includes("everything__args-prompt"), JSON.stringify(all));

    const hidden = await failure(agent.getPrompt({ name: "conf__test_prompt_with_image" }));
    const missing = await failure(agent.getPrompt({ name: "conf__no_such_prompt" }));
    assert.equal(hidden.message, missing.message.replace("no_such_prompt", "test_prompt_with_image"));
    const denied = await failure(agent.getPrompt({ name: "conf__test_prompt_with_arguments", arguments: { arg1: "a", arg2: "b" } }));
    assert.match(denied.message, /prompt test_prompt_with_arguments is denied by policy/);
    assert.equal((denied.data as Record<string, unknown>)["gatehouse/rule"], "/prompts/test_prompt_with_arguments");
    const completion = await failure(agent.complete({ ref: { type: "ref/prompt", name: "everything__completable-prompt" }, argument: { name: "department", value: "E" } }));
    assert.match(completion.message, /not listed in the policy and the default is deny/);
    assert.deepEqual(await agent.getPrompt({ name: "everything__simple-prompt" }), { messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt without arguments." } }] });
  });

  it("audits every read and get with its decision and rule, and no contents", async () => {
    const readable = await agent.getPrompt({ name: "conf__test_simple_prompt" });
    assert.ok(readable.messages.length > 0);
    await agent.readResource({ uri: "conf+test://static-text" });
    await failure(agent.readResource({ uri: "conf+test://static-binary" }));
    await failure(agent.readResource({ uri: "conf+test://template/2/data" }));
    const events = async (type: string) => {
      const response = await fetch(`${gw.url}/api/audit/events?type=${type}&upstream=conf`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 200);
      return ((await response.json()) as { rows: Array<{ type: string; actor: string; decision: string; rule: string | null; reason: string; data: Record<string, unknown> }> }).rows;
    };
    const reads = await events("resource.*");
    const byUri = (uri: string) => reads.find((e) => e.data.uri === uri);
    assert.deepEqual(
      [byUri("test://static-text"), byUri("test://static-binary"), byUri("test://template/2/data")].map((e) => e && [e.type, e.actor, e.decision, e.rule]),
      [
        ["resource.read", "grant:policy-agent", "allow", "/default"],
        ["resource.hidden", "grant:policy-agent", "hide", "/resources/test:~1~1static-binary"],
        ["resource.denied", "grant:policy-agent", "deny", "/resources/test:~1~1template~1*"],
      ],
    );
    assert.ok(!JSON.stringify(reads).includes("This is the content of the static text resource"), "contents are not stored");
    const gets = await events("prompt.*");
    assert.deepEqual(
      gets.filter((e) => e.data.prompt === "test_simple_prompt").map((e) => [e.type, e.decision]),
      [["prompt.get", "allow"]],
    );
    assert.ok(gets.some((e) => e.type === "prompt.hidden" && e.data.prompt === "test_prompt_with_image"));
    assert.ok(gets.some((e) => e.type === "prompt.denied" && e.data.prompt === "test_prompt_with_arguments"));
    assert.ok(reads.every((e) => typeof e.data.sessionId === "string"));
    // Reads and gets are events only: no tool_calls rows (no tool of conf was called in this file).
    const calls = await fetch(`${gw.url}/api/audit/calls?upstream=conf`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.deepEqual(((await calls.json()) as { rows: unknown[] }).rows, []);
    const verify = await fetch(`${gw.url}/api/audit/verify`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const verdict = (await verify.json()) as { ok: boolean; problems: string[] };
    assert.deepEqual(verdict.problems, [], "the chain with these events verifies");
    assert.equal(verdict.ok, true);
  });
});

describe(`an upstream whose policy never loaded (${storageLabel()})`, () => {
  let conformance: Awaited<ReturnType<typeof startConformanceServer>>;
  let gw: TestGateway;
  let agent: Client;

  before(async () => {
    conformance = await startConformanceServer();
    gw = await startTestGateway({ upstreams: { conf: { url: conformance.url } }, policies: { conf: "{ not json" } });
    agent = await gw.connect(await gw.createToken("no-policy-agent"));
  });
  after(async () => {
    await gw?.close();
    await conformance?.close();
  });

  it("lists none of its resources and prompts and refuses to read them", async () => {
    assert.deepEqual((await agent.listResources()).resources, []);
    assert.deepEqual((await agent.listPrompts()).prompts, []);
    const denied = await failure(agent.readResource({ uri: "test://static-text" }));
    assert.match(denied.message, /No valid policy is loaded for upstream "conf"; every resource of it is denied\./);
  });
});

// Several real upstreams behind one gateway: server-everything over stdio and over Streamable HTTP,
// namespaced tool names, progress forwarding, and an upstream crash followed by recovery.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { startEverythingHttp, EVERYTHING_STDIO } from "./helpers/everything.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";

const POLICY = {
  version: "1",
  default: "deny",
  tools: { echo: {}, "get-sum": {}, "trigger-long-running-operation": {}, "get-env": { action: "deny", reason: "no env dumps" } },
};

describe(`gateway with server-everything upstreams (${storageLabel()})`, () => {
  let gw: TestGateway;
  let http: Awaited<ReturnType<typeof startEverythingHttp>>;
  let token: string;

  before(async () => {
    http = await startEverythingHttp();
    gw = await startTestGateway({
      upstreams: { "ev-stdio": EVERYTHING_STDIO, "ev-http": { url: http.url } },
      policies: { "ev-stdio": POLICY, "ev-http": POLICY },
    });
    token = await gw.createToken("everything-agent");
  });
  after(async () => {
    await gw.close();
    await http.close();
  });

  it("namespaces tools as <upstream>__<tool> and filters each by its upstream's policy", async () => {
    const client = await gw.connect(token);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ["ev-http__echo", "ev-http__get-sum", "ev-http__trigger-long-running-operation", "ev-stdio__echo", "ev-stdio__get-sum", "ev-stdio__trigger-long-running-operation", "gatehouse_approval_status"]);
  });

  it("forwards calls to the right upstream over stdio and Streamable HTTP", async () => {
    const client = await gw.connect(token);
    for (const upstream of ["ev-stdio", "ev-http"]) {
      const result = await client.callTool({ name: `${upstream}__echo`, arguments: { message: `hi ${upstream}` } });
      assert.equal(result.isError, undefined);
      assert.match(textOf(result), new RegExp(`hi ${upstream}`));
    }
    const denied = await client.callTool({ name: "ev-http__get-env", arguments: {} });
    assert.equal(denied.isError, true);
    assert.equal(textOf(denied), "no env dumps");
  });

  it("forwards progress notifications", async () => {
    const client = await gw.connect(token);
    for (const upstream of ["ev-stdio", "ev-http"]) {
      const progress: number[] = [];
      const result = await client.request(
        { method: "tools/call", params: { name: `${upstream}__trigger-long-running-operation`, arguments: { duration: 0.2, steps: 3 } } },
        CallToolResultSchema,
        { onprogress: (p) => progress.push(p.progress) },
      );
      assert.match(textOf(result), /Long running operation completed/);
      // The last one may be overtaken by the result (SDK dispatches notifications a microtask late).
      assert.deepEqual(progress, [1, 2, 3].slice(0, progress.length));
      assert.ok(progress.length >= 2, `progress received: ${JSON.stringify(progress)}`);
    }
  });

  it("turns an upstream crash mid-call into an outcome-unknown error result, then recovers", async () => {
    const client = await gw.connect(token);
    const upstream = gw.instance.upstreams.get("ev-stdio")!;
    const pid = upstream.status().pid;
    assert.ok(pid, "stdio upstream has a pid");
    let onFirstProgress!: () => void;
    const started = new Promise<void>((resolve) => (onFirstProgress = resolve));
    const pending = client.request(
      { method: "tools/call", params: { name: "ev-stdio__trigger-long-running-operation", arguments: { duration: 30, steps: 30 } } },
      CallToolResultSchema,
      { onprogress: () => onFirstProgress() },
    );
    await started;
    process.kill(pid, "SIGKILL");
    const result = await pending;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^Upstream "ev-stdio" gave no answer: the connection was lost during the call .* may or may not have run/);
    assert.equal(result._meta?.["gatehouse/code"], "upstream_outcome_unknown");

    const recovered = await client.callTool({ name: "ev-stdio__echo", arguments: { message: "back" } });
    assert.equal(recovered.isError, undefined, textOf(recovered));
    assert.match(textOf(recovered), /back/);
    assert.notEqual(upstream.status().pid, pid, "a new child was spawned");
  });
});

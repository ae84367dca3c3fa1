// What upstreams ask of their client (sampling, elicitation, roots) reaches the agent whose call caused
// it and the answer goes back; log messages, progress and cancellation travel both ways. Real servers:
// server-everything over stdio and over Streamable HTTP, the conformance reference server, and a probe
// built on the SDK for what the packaged servers do not show (cancellations, progress they received).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  type ClientCapabilities,
  type CreateMessageRequest,
  type LoggingMessageNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { routeFromUpstream } from "../src/proxy/relay/index.ts";
import { startConformanceServer } from "./helpers/conformance.ts";
import { EVERYTHING_STDIO, startEverythingHttp } from "./helpers/everything.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { startProbeUpstream, type ProbeUpstream } from "./helpers/probe-upstream.ts";

type Closable = { url: string; close(): Promise<void> };

async function connectAgent(gw: TestGateway, token: string, capabilities: ClientCapabilities): Promise<Client> {
  const client = new Client({ name: "relay-agent", version: "1.0.0" }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

/** A sampling answer that says which session produced it and what it was asked. */
function answerSampling(client: Client, who: string, before?: () => Promise<void>): CreateMessageRequest[] {
  const seen: CreateMessageRequest[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    seen.push(request);
    await before?.();
    const asked = request.params.messages[0]?.content;
    return { model: `model-of-${who}`, role: "assistant", content: { type: "text", text: `${who} answers ${asked && "text" in asked ? asked.text : "?"}` } };
  });
  return seen;
}

describe("routing rule for what an upstream sends on its own", () => {
  const a1 = { session: "a", requestId: 1 };
  const a2 = { session: "a", requestId: 2 };
  const b1 = { session: "b", requestId: 1 };
  const cases: Array<[string, Parameters<typeof routeFromUpstream>, ReturnType<typeof routeFromUpstream>]> = [
    ["stamped by the transport: that request", [b1, [a1, a2]], { kind: "session", origin: b1 }],
    ["nothing in flight: nobody", [null, []], { kind: "none" }],
    ["one session in flight: its latest request", [null, [a1, a2]], { kind: "session", origin: a2 }],
    ["two sessions in flight: ambiguous", [null, [a1, b1]], { kind: "ambiguous" }],
    ["a request for no agent in flight: ambiguous", [null, [a1, null]], { kind: "ambiguous" }],
  ];
  for (const [name, args, expected] of cases) it(name, () => assert.deepEqual(routeFromUpstream(...args), expected));
});

for (const transport of ["stdio", "http"] as const) {
  describe(`sampling and elicitation from server-everything over ${transport} (${storageLabel()})`, () => {
    let upstream: Closable | null = null;
    let gw: TestGateway;
    let token: string;

    before(async () => {
      upstream = transport === "http" ? await startEverythingHttp() : null;
      gw = await startTestGateway({ upstreams: { everything: upstream ? { url: upstream.url } : EVERYTHING_STDIO }, policies: {} });
      token = await gw.createToken(`sampler-${transport}`);
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
    });

    it("sends the upstream's sampling request to the calling agent and its answer back", async () => {
      const agent = await connectAgent(gw, token, { sampling: {} });
      const seen = answerSampling(agent, "agent");
      const result = await agent.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hello", maxTokens: 7 } });
      assert.equal(seen.length, 1);
      assert.deepEqual(seen[0]?.params.messages, [{ role: "user", content: { type: "text", text: "Resource trigger-sampling-request context: hello" } }]);
      assert.equal(seen[0]?.params.maxTokens, 7);
      assert.match(textOf(result), /"model": "model-of-agent"/);
      assert.match(textOf(result), /agent answers Resource trigger-sampling-request context: hello/);
      await agent.close();
    });

    it("answers for a client that cannot sample what that client would: Method not found", async () => {
      const agent = await connectAgent(gw, token, {});
      const result = await agent.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hello" } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /Method not found/);
      await agent.close();
    });

    it("relays an elicitation and the person's answer", async () => {
      const agent = await connectAgent(gw, token, { elicitation: {} });
      let asked = "";
      agent.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked = request.params.message;
        return { action: "decline" };
      });
      const result = await agent.callTool({ name: "trigger-elicitation-request", arguments: {} });
      assert.notEqual(asked, "");
      assert.match(textOf(result), /decline/i);
      await agent.close();
    });

    it("relays a URL-mode elicitation to a client that supports it, and answers for one that does not as that client would", async () => {
      const withUrl = await connectAgent(gw, token, { elicitation: { form: {}, url: {} } });
      let shown = "";
      withUrl.setRequestHandler(ElicitRequestSchema, async (request) => {
        shown = request.params.mode === "url" ? request.params.url : "";
        return { action: "accept" };
      });
      const accepted = await withUrl.callTool({ name: "trigger-url-elicitation", arguments: { url: "https://example.com/consent" } });
      assert.equal(shown, "https://example.com/consent");
      assert.match(textOf(accepted), /User completed the URL elicitation flow/);
      const formOnly = await connectAgent(gw, token, { elicitation: { form: {} } });
      const refused = await formOnly.callTool({ name: "trigger-url-elicitation", arguments: { url: "https://example.com/consent" } });
      assert.equal(refused.isError, true);
      assert.match(textOf(refused), /Client does not support URL-mode elicitation requests/);
      await withUrl.close();
      await formOnly.close();
    });

    it(
      transport === "http"
        ? "keeps two agents' concurrent sampling requests apart: each goes to the agent whose call caused it"
        : "refuses a sampling request it cannot attribute (two agents' calls in flight on one stdio upstream) rather than guess",
      async () => {
        const first = await connectAgent(gw, token, { sampling: {} });
        const second = await connectAgent(gw, token, { sampling: {} });
        let secondDone!: () => void;
        const secondFinished = new Promise<void>((resolve) => (secondDone = resolve));
        // The first agent's answer waits until the second agent's call is over, so both calls overlap.
        const seenByFirst = answerSampling(first, "first", () => secondFinished);
        const seenBySecond = answerSampling(second, "second");
        const firstCall = first.callTool({ name: "trigger-sampling-request", arguments: { prompt: "from first" } });
        while (seenByFirst.length === 0) await new Promise((resolve) => setImmediate(resolve));
        const secondResult = await second.callTool({ name: "trigger-sampling-request", arguments: { prompt: "from second" } });
        secondDone();
        const firstResult = await firstCall;
        assert.match(textOf(firstResult), /first answers Resource trigger-sampling-request context: from first/);
        assert.deepEqual(seenByFirst.map((r) => r.params.messages[0]?.content), [{ type: "text", text: "Resource trigger-sampling-request context: from first" }]);
        if (transport === "http") {
          assert.match(textOf(secondResult), /second answers Resource trigger-sampling-request context: from second/);
          assert.equal(seenBySecond.length, 1);
        } else {
          assert.equal(secondResult.isError, true);
          assert.match(textOf(secondResult), /cannot tell which of its client sessions this sampling\/createMessage request is for \(requests of several sessions are in flight\)/);
          assert.equal(seenBySecond.length, 0, "the second agent was not asked");
        }
        await first.close();
        await second.close();
      },
    );
  });
}

describe(`roots, logging, progress and cancellation (${storageLabel()})`, () => {
  let conformance: Closable;
  let probe: ProbeUpstream;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    conformance = await startConformanceServer();
    probe = await startProbeUpstream();
    gw = await startTestGateway({ upstreams: { conf: { url: conformance.url }, probe: { url: probe.url }, everything: EVERYTHING_STDIO }, policies: {} });
    token = await gw.createToken("relay-agent");
  });
  after(async () => {
    await gw?.close();
    await probe?.close();
    await conformance?.close();
  });

  it("passes the client's progress on a sampling request to the upstream, and the upstream's cancel of it to the client", async () => {
    const agent = await connectAgent(gw, token, { sampling: {}, elicitation: {} });
    // SDK clients ignore a cancel of request id 0 (typescript-sdk#2283), the id of the first request the
    // gateway sends a session: that one is an elicitation here. The probe's own first request is the
    // sampling request below, id 0 on its side, whose cancel the gateway must not drop.
    agent.setRequestHandler(ElicitRequestSchema, async () => ({ action: "decline" }));
    await agent.callTool({ name: "everything__trigger-elicitation-request", arguments: {} });
    const clientSawCancel = new Promise<string>((resolve) =>
      agent.setRequestHandler(CreateMessageRequestSchema, async (_request, extra) => {
        const progressToken = extra._meta?.progressToken;
        assert.notEqual(progressToken, undefined, "the upstream asked for progress, so the client has a token");
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken: progressToken!, progress: 1, message: "thinking" } });
        await new Promise<void>((done) => extra.signal.addEventListener("abort", () => done(), { once: true }));
        resolve(String(extra.signal.reason));
        return { model: "m", role: "assistant", content: { type: "text", text: "too late" } };
      }),
    );
    const result = await agent.callTool({ name: "probe__ask_until_progress", arguments: {} });
    assert.match(textOf(result), /^cancelled the sampling request/);
    assert.deepEqual(probe.samplingProgress.map((p) => [p.progress, p.message]), [[1, "thinking"]]);
    assert.match(await clientSawCancel, /seen progress/);
    await agent.close();
  });

  it("tells upstreams it can sample (with tools), elicit (form and URL mode) and list roots, without roots list changes", () => {
    assert.deepEqual(probe.clientCapabilities(), { sampling: { tools: {} }, elicitation: { form: {}, url: {} }, roots: {} });
  });

  it("relays an elicitation from an HTTP upstream and the accepted content", async () => {
    const agent = await connectAgent(gw, token, { elicitation: {} });
    agent.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { response: "yes please" } }));
    const result = await agent.callTool({ name: "conf__test_elicitation", arguments: { message: "Proceed?" } });
    assert.equal(textOf(result), 'User response: action=accept, content={"response":"yes please"}');
    await agent.close();
  });

  it("answers roots/list asked during an agent's call from that agent, and with no roots when no call asked", async () => {
    const agent = await connectAgent(gw, token, { roots: {} });
    agent.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///work/project", name: "project" }] }));
    const during = await agent.callTool({ name: "probe__list_roots", arguments: {} });
    assert.deepEqual(JSON.parse(textOf(during)), [{ uri: "file:///work/project", name: "project" }]);
    // server-everything asked for roots right after it connected, before any agent: it was told there are none.
    const cached = await agent.callTool({ name: "everything__get-roots-list", arguments: {} });
    assert.match(textOf(cached), /no roots are currently configured/);
    await agent.close();
  });

  it("sets the upstreams' log level and delivers a call's log messages to the caller only, at its level", async () => {
    const caller = await connectAgent(gw, token, {});
    const bystander = await connectAgent(gw, token, {});
    const callerLogs: LoggingMessageNotification["params"][] = [];
    const bystanderLogs: LoggingMessageNotification["params"][] = [];
    caller.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void callerLogs.push(n.params));
    bystander.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void bystanderLogs.push(n.params));

    await caller.setLoggingLevel("error");
    await caller.callTool({ name: "conf__test_tool_with_logging", arguments: {} });
    assert.deepEqual(callerLogs.filter((l) => l.level === "info"), [], "info messages are below the caller's level");

    await caller.setLoggingLevel("info");
    await caller.callTool({ name: "conf__test_tool_with_logging", arguments: {} });
    assert.deepEqual(
      callerLogs.filter((l) => typeof l.data === "string" && l.data.startsWith("Tool ")).map((l) => l.data),
      ["Tool execution started", "Tool processing data", "Tool execution completed"],
    );
    await bystander.callTool({ name: "conf__test_tool_with_logging", arguments: {} });
    assert.equal(bystanderLogs.filter((l) => l.data === "Tool execution started").length, 1, "the bystander got its own call's messages, not the caller's");
    await caller.close();
    await bystander.close();
  });

  it("delivers a log message that comes with no call to every session", async () => {
    const caller = await connectAgent(gw, token, {});
    const bystander = await connectAgent(gw, token, {});
    const simulated = (params: LoggingMessageNotification["params"]) => typeof params.data === "string" && /-level message|level-message/.test(params.data);
    const callerLogs: LoggingMessageNotification["params"][] = [];
    caller.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void callerLogs.push(n.params));
    const bystanderGotOne = new Promise<void>((resolve) => bystander.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        if (simulated(n.params)) resolve();
      }));
    // server-everything sends one message during the call, then one every 5 s with no request in flight.
    await caller.callTool({ name: "everything__toggle-simulated-logging", arguments: {} });
    assert.ok(callerLogs.some(simulated), "the message sent during the call went to the caller");
    await bystanderGotOne;
    await caller.callTool({ name: "everything__toggle-simulated-logging", arguments: {} });
    await caller.close();
    await bystander.close();
  });

  it("passes an upstream's progress on a relayed read to the client, under the client's token", async () => {
    const agent = await connectAgent(gw, token, {});
    const progress: Array<{ progress: number; message?: string }> = [];
    const read = await agent.readResource({ uri: "probe+probe://progress" }, { onprogress: (p) => void progress.push({ progress: p.progress, ...(p.message !== undefined && { message: p.message }) }) });
    assert.deepEqual(read.contents, [{ uri: "probe+probe://progress", text: "done" }]);
    assert.deepEqual(progress, [{ progress: 1, message: "step 1" }, { progress: 2, message: "step 2" }]);
    await agent.close();
  });

  it("cancels the upstream's request when the client cancels a relayed read or a tool call", async () => {
    const agent = await connectAgent(gw, token, {});
    for (const send of [
      (signal: AbortSignal) => agent.readResource({ uri: "probe+probe://slow" }, { signal }),
      (signal: AbortSignal) => agent.callTool({ name: "probe__slow", arguments: {} }, undefined, { signal }),
    ]) {
      const started = probe.nextSlow();
      const cancelled = probe.nextCancelled();
      const abort = new AbortController();
      const pending = send(abort.signal);
      await started;
      abort.abort("the agent changed its mind");
      await assert.rejects(pending);
      assert.match(await cancelled, /^(read probe:\/\/slow|call slow)$/);
    }
    await agent.close();
  });

});

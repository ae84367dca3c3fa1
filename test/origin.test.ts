// The stamp the gateway puts on what an upstream sends on a POST's event stream: which messages get it,
// that the stream is otherwise passed on intact however it is cut into chunks, and that the stamp is
// read back and removed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ORIGIN_META_KEY, readOrigin, stampEventStream, withoutOrigin } from "../src/proxy/origin.ts";

const ORIGIN = { session: "s-1", requestId: 7 };

async function stamp(text: string, chunkSize: number): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.slice(i, i + chunkSize));
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Response(source.pipeThrough(stampEventStream(ORIGIN))).text();
}

const request = { jsonrpc: "2.0", id: 3, method: "sampling/createMessage", params: { maxTokens: 5, _meta: { progressToken: 1 } } };
const log = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "hi" } };
const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } };
const response = { jsonrpc: "2.0", id: 1, result: { content: [] } };

describe("stamping a POST's event stream", () => {
  const stream = [
    "id: a1\nretry: 5000\n\n", // a priming event: no data
    `event: message\nid: a2\ndata: ${JSON.stringify(request)}\r\n\r\n`,
    `data: ${JSON.stringify(log)}\n\n`,
    `data: ${JSON.stringify(progress)}\n\n`,
    ": a comment line\n\n",
    `id: a3\ndata: ${JSON.stringify(response)}\n\n`,
  ].join("");

  for (const chunkSize of [1, 7, 64, 100_000]) {
    it(`stamps requests and notifications, and nothing else, in chunks of ${chunkSize} bytes`, async () => {
      const events = (await stamp(stream, chunkSize)).split("\n\n").filter((e) => e !== "");
      assert.equal(events.length, 6);
      assert.equal(events[0], "id: a1\nretry: 5000");
      const data = (event: string) => JSON.parse(event.split("\n").find((l) => l.startsWith("data: "))!.slice(6)) as Record<string, unknown>;
      assert.match(events[1]!, /^event: message\nid: a2\ndata: /);
      assert.deepEqual(data(events[1]!), { ...request, params: { ...request.params, _meta: { progressToken: 1, [ORIGIN_META_KEY]: ORIGIN } } });
      assert.deepEqual(data(events[2]!), { ...log, params: { ...log.params, _meta: { [ORIGIN_META_KEY]: ORIGIN } } });
      assert.deepEqual(data(events[3]!), progress, "progress is matched by its token, not stamped");
      assert.equal(events[4], ": a comment line");
      assert.deepEqual(data(events[5]!), response, "responses are not stamped");
    });
  }

  it("passes data that is not JSON through untouched, even when the stream ends without a blank line", async () => {
    assert.equal(await stamp("data: not json\n\ndata: {\"jsonrpc\":\"2.0\"", 3), 'data: not json\n\ndata: {"jsonrpc":"2.0"\n\n');
  });
});

describe("reading and removing the stamp", () => {
  const stamped = { level: "info", _meta: { [ORIGIN_META_KEY]: ORIGIN, other: 1 } };

  it("reads the origin and gives the params back without it", () => {
    assert.deepEqual(readOrigin(stamped), ORIGIN);
    assert.deepEqual(withoutOrigin(stamped), { level: "info", _meta: { other: 1 } });
    assert.deepEqual(withoutOrigin({ level: "info", _meta: { [ORIGIN_META_KEY]: ORIGIN } }), { level: "info" });
  });

  it("finds no origin where there is no stamp, or a stamp of another shape", () => {
    assert.equal(readOrigin({ level: "info" }), null);
    assert.equal(readOrigin({ _meta: { "gatehouse.internal/origin": ORIGIN } }), null, "a key an upstream could guess is not the stamp");
    assert.equal(readOrigin({ _meta: { [ORIGIN_META_KEY]: { session: "s", requestId: {} } } }), null);
  });
});

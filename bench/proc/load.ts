// The load generator of `npm run bench`, in a process of its own: a raw keep-alive HTTP client speaking
// MCP Streamable HTTP (initialize, then tools/call of `echo`). Reads one JSON job from argv, prints one
// JSON result line.
//   job: { url, token?, mode: "latency", calls } | { url, token?, mode: "throughput", seconds, concurrency }
//   with `hold: true` each call carries distinct arguments with a `hold` key (bench/perf.ts's policy holds
//   those for approval as tickets) and succeeds when the gateway answers that it is pending approval.
//   result: { calls, errors, firstError, ms: { p50, p90, p99 }, elapsedMs }
import { createMcpPoster } from "./mcp-http.ts";

interface Job {
  url: string;
  token?: string;
  mode: "latency" | "throughput";
  calls?: number;
  seconds?: number;
  concurrency?: number;
  hold?: boolean;
  /** With `hold`: the arguments' `hold` value is `<holdKey>-<request id>`, so a second run repeats the same calls. */
  holdKey?: string;
  /** With `hold`: what a call must get back, the pending answer (default) or the call's result (approved by now). */
  expect?: "pending" | "result";
}

const job = JSON.parse(process.argv[2]!) as Job;
const client = createMcpPoster(job.url, { token: job.token, sockets: job.concurrency ?? 1 });
let nextId = 1;

/** The JSON-RPC answer in a JSON body or in the last `data:` line of an event stream. */
function messageOf(text: string): { result?: { isError?: boolean; content?: unknown; _meta?: Record<string, unknown> }; error?: unknown } {
  const data = text.split("\n").filter((line) => line.startsWith("data: ")).pop();
  return JSON.parse(data ? data.slice(6) : text) as never;
}

async function call(): Promise<void> {
  const id = nextId++;
  const args = job.hold ? { message: "hello", hold: `${job.holdKey ?? process.pid}-${id}` } : { message: "hello" };
  const { status, text } = await client.post({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: args } });
  if (status !== 200) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
  const message = messageOf(text);
  if (job.hold && job.expect === "result") {
    if (message.error || message.result?.isError) throw new Error(`no result: ${text.slice(0, 300)}`);
  } else if (job.hold) {
    const isPending = message.result?.isError === true && Object.keys(message.result._meta ?? {}).some((key) => key.endsWith("call_again"));
    if (!isPending) throw new Error(`not held: ${text.slice(0, 300)}`);
  } else if (message.error || message.result?.isError) throw new Error(`call failed: ${text.slice(0, 300)}`);
}

async function main(): Promise<void> {
  await client.initialize("bench-load");
  for (let i = 0; i < 20; i++) await call(); // warm-up

  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const timed = async () => {
    const t0 = performance.now();
    try {
      await call();
      latencies.push(performance.now() - t0);
    } catch (error) {
      errors += 1;
      firstError ??= (error as Error).message;
    }
  };
  const started = performance.now();
  if (job.mode === "latency") {
    for (let i = 0; i < (job.calls ?? 1000); i++) await timed();
  } else {
    const until = started + (job.seconds ?? 10) * 1000;
    await Promise.all(
      Array.from({ length: job.concurrency ?? 32 }, async () => {
        while (performance.now() < until) await timed();
      }),
    );
  }
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  console.log(JSON.stringify({ calls: latencies.length, errors, firstError, ms: { p50: pct(50), p90: pct(90), p99: pct(99) }, elapsedMs }));
  client.close();
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});

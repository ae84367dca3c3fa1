// Holds N calls on a gateway as held requests: one session, N concurrent tools/call of `echo` (distinct
// arguments, each with a progress token), each on its own connection. Prints `held N` once every one
// has received its first heartbeat (the gateway is waiting on it), then keeps them open until killed.
//   node bench/proc/hold.ts '{"url": "...", "token": "...", "count": 2000}'
import { createMcpPoster } from "./mcp-http.ts";

const job = JSON.parse(process.argv[2]!) as { url: string; token: string; count: number };
const client = createMcpPoster(job.url, { token: job.token, sockets: job.count + 2 });
await client.initialize("bench-hold");
let held = 0;
for (let i = 1; i <= job.count; i++) {
  let isHeld = false;
  void client.post({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "echo", arguments: { message: `held ${i}` }, _meta: { progressToken: i } } }, (chunk) => {
    if (isHeld || !chunk.includes("notifications/progress")) return;
    isHeld = true;
    held += 1;
    if (held === job.count) console.log(`held ${held}`);
  }).then(
    (answer) => {
      // Answered without a heartbeat (refused, or not held at all): the benchmark would wait for ever.
      if (isHeld) return;
      console.error(`call ${i} was answered before it was held: HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
      process.exit(1);
    },
    (error: unknown) => {
      // A call that fails before it is held would leave the benchmark waiting for ever: stop and say why.
      if (isHeld) return;
      console.error(`call ${i} failed before it was held: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
process.on("SIGTERM", () => process.exit(0));

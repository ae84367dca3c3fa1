// The "raw Node hop" of `npm run bench`: a pass-through HTTP proxy in plain node:http with a keep-alive
// agent, doing nothing but forwarding. What any Node process in the path costs, at the least.
//   node bench/proc/raw-hop.ts <upstream url>      prints `listening <url>`
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

const target = new URL(process.argv[2]!);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const upstream = request(
    { host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: { ...req.headers, host: target.host }, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

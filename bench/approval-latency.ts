// Time from the approving request (admin API call, or a signed Slack click) to the upstream
// receiving the approved tools/call. The upstream is an in-process MCP server over Streamable HTTP,
// so both timestamps come from one clock. With DATABASE_URL set, a third path decides on a second
// gateway sharing the database, so the release travels by Postgres NOTIFY (or the row poll).
//   npm run bench:approvals            BENCH_APPROVALS=100 npm run bench:approvals
import { randomBytes } from "node:crypto";
import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { nextApproval, postedMessage } from "../test/helpers/approvals.ts";
import { startTestGateway, storageLabel, type TestGateway } from "../test/helpers/gateway.ts";
import { buttonClickPayload, postInteraction, startSlackApiStandIn } from "../test/helpers/slack-api.ts";

const ROUNDS = Number(process.env.BENCH_APPROVALS ?? 60);
const SECRET = "bench-secret";
let onUpstreamCall: (() => void) | null = null;

async function startRecordingUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  app.post("/mcp", async (req, res) => {
    const server = new McpServer({ name: "bench-upstream", version: "1" });
    server.registerTool("act", { description: "records when it is called" }, async () => {
      onUpstreamCall?.();
      return { content: [{ type: "text", text: "done" }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const listener = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => listener.once("listening", resolve));
  const port = (listener.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/mcp`, close: () => new Promise((resolve) => listener.close(() => resolve())) };
}

/** `prepare` runs before the clock starts (a Slack click needs the approval's posted message); the decision it returns is timed. */
async function measure(label: string, holder: TestGateway, prepare: (id: string) => Promise<() => Promise<unknown>>, token: string): Promise<void> {
  const client = await holder.connect(token);
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const created = nextApproval(holder);
    // Distinct arguments each round: an identical call would attach to (or replay) the previous approval.
    const call = client.callTool({ name: "act", arguments: { path: label, round: i } });
    const approval = await created;
    const decide = await prepare(approval.id);
    const reached = new Promise<number>((resolve) => (onUpstreamCall = () => resolve(performance.now())));
    const sent = performance.now();
    await decide();
    samples.push((await reached) - sent);
    await call;
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!.toFixed(1);
  console.log(`${label.padEnd(44)} p50 ${pct(50).padStart(6)} ms   p99 ${pct(99).padStart(6)} ms   max ${samples.at(-1)!.toFixed(1).padStart(6)} ms`);
}

async function main(): Promise<void> {
  console.log(`approval → upstream call latency: ${ROUNDS} approvals per path, storage ${storageLabel()}, node ${process.version}`);
  const upstream = await startRecordingUpstream();
  const slack = await startSlackApiStandIn();
  const policy = { version: "1", default: "deny", tools: { act: { action: "require_approval" } } };
  const approvals = { pollMs: 1000, reaperSeconds: 5, instanceStaleSeconds: 30, heartbeatSeconds: 15 };
  const gw = await startTestGateway({
    upstreams: { bench: { url: upstream.url } },
    policies: { bench: policy },
    extraConfig: { approvals: { ...approvals, channel: "C0BENCH" } },
    env: { SLACK_BOT_TOKEN: "xoxb-bench", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url },
  });
  const token = await gw.createToken(`bench-${randomBytes(3).toString("hex")}`);
  const viaApi = (target: TestGateway) => async (id: string) => () =>
    fetch(`${target.url}/api/approvals/${id}/approve`, { method: "POST", headers: { authorization: "Bearer admin-token-for-tests", "content-type": "application/json" }, body: "{}" });
  try {
    await measure("admin API, same gateway", gw, viaApi(gw), token);
    const viaSlack = async (id: string) => {
      const message = await postedMessage(gw, slack, id);
      return () => postInteraction(gw.url, buttonClickPayload("gatehouse_approve", id, { userId: "U0BENCH", message }), { secret: SECRET });
    };
    await measure("signed Slack click, same gateway", gw, viaSlack, token);
    if (process.env.DATABASE_URL) {
      const other = await startTestGateway({
        upstreams: { bench: { url: upstream.url } },
        policies: { bench: policy },
        extraConfig: { approvals, storage: { schema: gw.instance.database.schema } },
        databaseUrl: gw.instance.databaseUrl,
      });
      try {
        await measure("admin API on another gateway (NOTIFY)", gw, viaApi(other), token);
      } finally {
        await other.close();
      }
    }
  } finally {
    await gw.close();
    await slack.close();
    await upstream.close();
  }
}

await main();

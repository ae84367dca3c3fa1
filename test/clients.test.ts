// Real third-party MCP clients against the real gateway: an allowed call returns the upstream's own
// result, a denied call reaches the client's user as the policy's reason. One shared demo upstream
// (HTTP, in this process) serves the in-process gateway and every `gatehouse stdio` child, so each
// execution is counted in one place.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLIENT_KINDS, gatewayTargets, openClient, type ClientKind, type DrivenClient, type ToolOutcome } from "./helpers/clients.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const READ = "smartlead_get_email_account_by_id";
const LAUNCH = "smartlead_update_campaign_status";
const DELETE = "smartlead_delete_campaign";
const DELETE_REASON = "Deleting campaigns is done by people.";
const LAUNCH_REASON = "Agents may not launch campaigns.";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [LAUNCH]: { deny_if: [{ path: "args.status", op: "eq", value: "START", message: LAUNCH_REASON }] },
    [DELETE]: { action: "deny", reason: DELETE_REASON },
  },
};
/** Clients that only call tools the server listed: an unconditionally denied tool never reaches them. */
const CALLS_LISTED_TOOLS_ONLY = new Set<ClientKind>(["inspector-stdio", "inspector-http", "ai-sdk", "langchain"]);

describe(`third-party MCP clients through the gateway (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let dir: string;
  let gw: TestGateway;
  let targets: ReturnType<typeof gatewayTargets>;
  let upstreamText: string;

  before(async () => {
    upstream = await startCountingUpstream();
    // A real data directory: `gatehouse stdio` children join this gateway's embedded database.
    dir = await mkdtemp(join(tmpdir(), "gatehouse-clients-"));
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, dir });
    targets = gatewayTargets(gw, { name: "clients-agent", token: await gw.createToken("clients-agent") });
    upstreamText = await callUpstreamDirectly(upstream.config.url, READ, { email_account_id: 502 });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const kind of CLIENT_KINDS) {
    describe(kind, () => {
      let client: DrivenClient;
      before(async () => {
        client = await openClient(kind, targets);
      });
      after(() => client?.close());

      it("returns the upstream's result for an allowed call, executed once", async () => {
        const before = upstream.runs(READ);
        const outcome = await client.callTool(READ, { email_account_id: 502 });
        assert.deepEqual(pick(outcome), { text: upstreamText, isError: false, thrown: null });
        assert.equal(upstream.runs(READ), before + 1);
      });

      it("shows the policy's reason for a denied call, and the upstream never sees it", async () => {
        const outcome = await client.callTool(LAUNCH, { campaign_id: 1003, status: "START" });
        assertDenied(kind, outcome, LAUNCH, LAUNCH_REASON);
        assert.equal(upstream.runs(LAUNCH), 0);
      });

      it("shows the reason for an unconditional deny, or never offers the tool", async () => {
        if (CALLS_LISTED_TOOLS_ONLY.has(kind)) {
          assert.ok(!(await client.listTools()).includes(DELETE), "an always-denied tool is not listed");
          return;
        }
        assertDenied(kind, await client.callTool(DELETE, { campaign_id: 1004 }), DELETE, DELETE_REASON);
        assert.equal(upstream.runs(DELETE), 0);
      });
    });
  }
});

function pick(outcome: ToolOutcome) {
  return { text: outcome.text, isError: outcome.isError, thrown: outcome.thrown };
}

/** Each client's own channel: an isError result with the reason (and the rule in _meta), or LangChain's ToolException. */
function assertDenied(kind: ClientKind, outcome: ToolOutcome, tool: string, reason: string): void {
  if (kind === "langchain") {
    assert.equal(outcome.thrown, `MCP tool '${tool}' on server 'gatehouse' returned an error: ${reason}`);
    return;
  }
  assert.deepEqual(pick(outcome), { text: reason, isError: true, thrown: null });
  assert.equal(outcome.meta?.["gatehouse/decision"], "deny");
}

async function callUpstreamDirectly(url: string, name: string, args: Record<string, unknown>): Promise<string> {
  const client = new Client({ name: "upstream-check", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    return textOf(await client.callTool({ name, arguments: args }));
  } finally {
    await client.close();
  }
}

// Held calls through real third-party clients (DESIGN §5): the MCP Inspector CLI over stdio and over
// HTTP with a header, mcp-remote, the AI SDK, LangChain's adapters, the SDK Client with its defaults
// and the SDK Client asking for a task. For each: a call approved while the client waits gets the real
// result; a call approved after the client stopped waiting gets it when the agent calls again with the
// same arguments, and the upstream runs it once; a denial reaches the agent as a plain reason.
// Waits are made short through configuration: a held request answers after 1 s here, not 45 s.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decide, reconnectApprovalFor } from "./helpers/approvals.ts";
import { CLIENT_KINDS, gatewayTargets, openClient, openSdkClient, type ClientKind, type DrivenClient, type ToolOutcome } from "./helpers/clients.ts";
import { startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";
import { waitUntil } from "./helpers/process.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval", approval: { timeout: "10m" } } } };
const APPROVALS = {
  pollMs: 100,
  reaperSeconds: 0.2,
  instanceStaleSeconds: 2,
  heartbeatSeconds: 0.5,
  // Every client gives up later than this: the pending answer comes first.
  maxWaitSeconds: 1,
  // This grant's requests are held long enough for a reviewer to answer while the client waits.
  grants: { "waiting-agent": { maxWaitSeconds: 30 } },
};

/** 21 distinct call identities: non-empty subsets of the five demo mailboxes, one per client and case. */
const SUBSETS = Array.from({ length: 31 }, (_, mask) => [501, 502, 503, 504, 505].filter((_, bit) => ((mask + 1) >> bit) & 1));

describe(`held calls through real clients (${storageLabel()})`, () => {
  let upstream: CountingUpstream;
  let dir: string;
  let gw: TestGateway;
  let waiting: ReturnType<typeof gatewayTargets>;
  let retrying: ReturnType<typeof gatewayTargets>;
  let slackReviewer: string;
  const runs = () => upstream.runs(RECONNECT);
  const approvalFor = (ids: number[]) => reconnectApprovalFor(gw, ids);

  before(async () => {
    upstream = await startCountingUpstream();
    // A real data directory: `gatehouse stdio` children (the Inspector over stdio) join this gateway's database.
    dir = await mkdtemp(join(tmpdir(), "gatehouse-held-clients-"));
    gw = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: POLICY }, extraConfig: { approvals: APPROVALS }, dir });
    waiting = gatewayTargets(gw, { name: "waiting-agent", token: await gw.createToken("waiting-agent") });
    retrying = gatewayTargets(gw, { name: "retrying-agent", token: await gw.createToken("retrying-agent") });
    slackReviewer = await gw.createReviewer("alice", "U0ALICE");
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  CLIENT_KINDS.forEach((kind, k) => {
    const ids = (scenario: number) => SUBSETS[k * 3 + scenario]!;

    describe(kind, () => {
      const opened: DrivenClient[] = [];
      const open = async (targets: ReturnType<typeof gatewayTargets>) => {
        const client = await openClient(kind, targets);
        opened.push(client);
        return client;
      };
      after(() => Promise.all(opened.map((c) => c.close())));

      it("returns the real result of a call approved while the client waits", async () => {
        const client = await open(waiting);
        const before = runs();
        const call = client.callTool(RECONNECT, { email_account_ids: ids(0) });
        const approval = await approvalFor(ids(0));
        assert.equal((await decide(gw, approval.id, "approve")).status, 200);
        const outcome = await call;
        assertRan(kind, outcome, ids(0));
        assert.equal(runs(), before + 1, "the upstream ran it once");
      });

      it("returns the real result when the agent calls again after the client stopped waiting, and runs it once", async () => {
        const before = runs();
        let first: ToolOutcome;
        if (kind === "sdk-task") {
          // A task client that goes away: it stops polling and closes; the task keeps the result.
          const leaving = await open(retrying);
          const stop = new AbortController();
          first = await leaving.callTool(RECONNECT, { email_account_ids: ids(1) }, { signal: stop.signal, onTask: (t) => t.status === "working" && stop.abort() });
          assert.ok(first.thrown, "the client stopped waiting");
          await leaving.close();
        } else {
          first = await (await open(retrying)).callTool(RECONNECT, { email_account_ids: ids(1) });
          assertPending(kind, first);
        }
        const approval = await approvalFor(ids(1));
        assert.equal((await decide(gw, approval.id, "approve")).status, 200);
        // The agent comes back with the same call (a new process for the Inspector, a new session for the rest).
        const again = await (await open(retrying)).callTool(RECONNECT, { email_account_ids: ids(1) });
        assertRan(kind, again, ids(1));
        assert.equal(runs(), before + 1, "ran exactly once");
      });

      it("tells the agent a denial in plain words, and runs nothing", async () => {
        const client = await open(waiting);
        const before = runs();
        const call = client.callTool(RECONNECT, { email_account_ids: ids(2) });
        const approval = await approvalFor(ids(2));
        const denied = await decide(gw, approval.id, "deny", { reason: "<@U0BOB> is migrating these mailboxes", token: slackReviewer });
        assert.equal(denied.status, 200);
        const outcome = await call;
        assert.equal(outcome.isError, true);
        assert.match(outcome.text, /Denied by Slack user U0ALICE: @U0BOB is migrating these mailboxes\. The call was not executed\./);
        assert.doesNotMatch(outcome.text, /<@/, "no Slack markup reaches the agent");
        assert.equal(runs(), before);
      });
    });
  });

  it("cancels the held call of a stdio client that closes its stdin (the session ended)", async () => {
    const client = await openSdkClient(waiting.stdio, { label: "sdk-over-stdio" });
    const call = client.callTool(RECONNECT, { email_account_ids: [501, 502, 503, 504, 505] });
    const approval = await approvalFor([501, 502, 503, 504, 505]);
    await client.close(); // the SDK's stdio transport ends the child's stdin
    await call;
    const ended = await waitUntil(() => gw.instance.approvals.repo.get(approval.id), (a) => a?.status !== "pending", 30_000);
    assert.equal(ended?.status, "cancelled");
  });
});

/** The upstream's own result: the reconnected mailboxes, as this client hands it to its user. */
function assertRan(kind: ClientKind, outcome: ToolOutcome, ids: number[]): void {
  assert.equal(outcome.isError, false, `${kind}: ${outcome.text}`);
  const result = JSON.parse(outcome.text) as { requested: number; results: Array<{ email_account_id: number }> };
  assert.deepEqual(result.results.map((r) => r.email_account_id), ids);
}

/** The pending answer: the call has NOT run, and calling again with the same arguments waits for the decision. */
function assertPending(kind: ClientKind, outcome: ToolOutcome): void {
  assert.equal(outcome.isError, true, kind);
  assert.match(outcome.text, new RegExp(`${RECONNECT} has NOT run: it is waiting for a person to approve it .*call ${RECONNECT} again with exactly the same arguments`));
  // LangChain hands only the text to the agent (in its ToolException); the others pass _meta on.
  if (kind !== "langchain") assert.equal(outcome.meta?.["gatehouse/approval_status"], "pending");
}

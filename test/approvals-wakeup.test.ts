// A decision wakes the held calls waiting on that approval by notification (docs/approvals.md): with the
// safety sweep set to 10 minutes, the only thing that can answer these calls within the test is the
// change reaching each waiter of the decided approval, every one of them (an identical call attached to
// it) and nobody else's.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { decide, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { [RECONNECT]: { action: "require_approval", approval: { timeout: "15m" } } } };

describe(`held calls are woken by notification, not the sweep (${storageLabel()})`, () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: { ...FAST_APPROVALS, pollMs: 600_000 } } });
    token = await gw.createToken("wakeup-agent");
  });
  after(() => gw.close());

  it("a denial answers every call waiting on that approval, and the other approval's call keeps waiting until its own", async () => {
    const [first, second, other] = [await gw.connect(token), await gw.connect(token), await gw.connect(token)];
    const createdA = nextApproval(gw);
    const heldA = first.callTool({ name: RECONNECT, arguments: { email_account_ids: [701] } }) as Promise<CallToolResult>;
    const approvalA = await createdA;
    const createdB = nextApproval(gw);
    const heldB = other.callTool({ name: RECONNECT, arguments: { email_account_ids: [702] } }) as Promise<CallToolResult>;
    const approvalB = await createdB;
    // The identical call attaches to A (its agent is counted on the approval once it waits).
    const attached = nextApproval(gw, "pending", approvalA.id);
    const heldA2 = second.callTool({ name: RECONNECT, arguments: { email_account_ids: [701] } }) as Promise<CallToolResult>;
    await attached;

    let isBAnswered = false;
    void heldB.then(() => (isBAnswered = true));
    assert.equal((await decide(gw, approvalA.id, "deny", { reason: "not A" })).status, 200);
    const [a, a2] = await Promise.all([heldA, heldA2]);
    for (const result of [a, a2]) {
      assert.equal(result.isError, true);
      assert.match((result.content as Array<{ text: string }>)[0]!.text, /not A/);
    }
    assert.equal(isBAnswered, false);

    assert.equal((await decide(gw, approvalB.id, "deny", { reason: "not B" })).status, 200);
    const b = await heldB;
    assert.equal(b.isError, true);
    assert.match((b.content as Array<{ text: string }>)[0]!.text, /not B/);
    await Promise.all([first.close(), second.close(), other.close()]);
  });
});

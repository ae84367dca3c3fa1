// Helpers for held-call tests: await the next approval created on a gateway, decide over the API,
// and count executions in the demo upstream's state.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Approval, ApprovalStatus } from "../../src/approvals/index.ts";
import { textOf, type TestGateway } from "./gateway.ts";

export const FAST_APPROVALS = { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 2, heartbeatSeconds: 0.5, maxWaitSeconds: 120 };

/** Resolves with the next approval that reaches `status` on this gateway's bus (any process's change arrives here too). */
export function nextApproval(gw: TestGateway, status: ApprovalStatus = "pending", id?: string): Promise<Approval> {
  const { bus, repo } = gw.instance.approvals;
  return new Promise((resolve, reject) => {
    const unsubscribe = bus.subscribe((change) => {
      if (change.status !== status || (id && change.id !== id)) return;
      unsubscribe();
      repo.get(change.id).then((a) => (a ? resolve(a) : reject(new Error("approval vanished"))), reject);
    });
  });
}

export async function decide(gw: TestGateway, id: string, decision: "approve" | "deny", body: { reason?: string; actor?: string } = {}) {
  const response = await fetch(`${gw.url}/api/approvals/${id}/${decision}`, {
    method: "POST",
    headers: { authorization: "Bearer admin-token-for-tests", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function reconnectCount(client: Client, accountId: number): Promise<number> {
  const result = await client.callTool({ name: "smartlead_get_email_account_by_id", arguments: { email_account_id: accountId } });
  return (JSON.parse(textOf(result)) as { reconnect_count: number }).reconnect_count;
}

// Helpers for held-call tests: await the next approval created on a gateway, decide over the API (as the
// admin or as a reviewer), find the Slack message posted for an approval, and count executions in the demo
// upstream's state.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Approval, ApprovalStatus, SlackMessageRef } from "../../src/approvals/index.ts";
import { textOf, type TestGateway } from "./gateway.ts";
import { waitUntil } from "./process.ts";
import { postedMessageRef, type SlackApiCall, type SlackApiStandIn } from "./slack-api.ts";

export const FAST_APPROVALS = { pollMs: 100, reaperSeconds: 0.2, instanceStaleSeconds: 2, heartbeatSeconds: 0.5, maxWaitSeconds: 120 };
export const ADMIN_TOKEN = "admin-token-for-tests";

/**
 * Resolves with the next approval that reaches `status` on this gateway's bus (any process's change arrives here
 * too). "pending" means a newly created approval (an agent attaching to an open one publishes its status again).
 */
export function nextApproval(gw: TestGateway, status: ApprovalStatus = "pending", id?: string): Promise<Approval> {
  const { bus, repo } = gw.instance.approvals;
  return new Promise((resolve, reject) => {
    const unsubscribe = bus.subscribe((change) => {
      if (change.status !== status || (id && change.id !== id) || (status === "pending" && !id && !change.isNew)) return;
      unsubscribe();
      repo.get(change.id).then((a) => (a ? resolve(a) : reject(new Error("approval vanished"))), reject);
    });
  });
}

/** POST /api/approvals/:id/approve|deny with the admin token, or with `token` (a reviewer's). `body` is sent as is. */
export async function decide(gw: TestGateway, id: string, decision: "approve" | "deny", options: { reason?: string; token?: string; body?: Record<string, unknown> } = {}) {
  const response = await fetch(`${gw.url}/api/approvals/${id}/${decision}`, {
    method: "POST",
    headers: { authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(options.body ?? (options.reason === undefined ? {} : { reason: options.reason })),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The Slack message posted for this approval, once the gateway has saved where it is (a click that arrives
 * before that is refused, as it would be from Slack).
 */
export async function postedMessage(gw: TestGateway, slack: SlackApiStandIn, approvalId: string): Promise<SlackMessageRef> {
  const posted = await slack.waitFor("chat.postMessage", (c: SlackApiCall) => JSON.stringify(c.body.blocks ?? "").includes(approvalId) && c.response.ok === true);
  const message = postedMessageRef(posted);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const row = await gw.instance.approvals.repo.get(approvalId);
    if (row?.slackChannel === message.channel && row.slackTs === message.ts) return message;
    if (Date.now() > deadline) throw new Error(`approval ${approvalId} never recorded its message ${message.channel}/${message.ts}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function reconnectCount(client: Client, accountId: number): Promise<number> {
  const result = await client.callTool({ name: "smartlead_get_email_account_by_id", arguments: { email_account_id: accountId } });
  return (JSON.parse(textOf(result)) as { reconnect_count: number }).reconnect_count;
}

/**
 * The approval for `smartlead_reconnect_failed_email_accounts` with these account ids, whichever process
 * (an in-process gateway or a `gatehouse stdio` child on the same storage) opened it.
 */
export function reconnectApprovalFor(gw: TestGateway, ids: number[]): Promise<Approval> {
  const wanted = JSON.stringify({ email_account_ids: ids });
  return waitUntil(
    async () => (await gw.instance.approvals.repo.list({ limit: 500 })).find((a) => a.tool === "smartlead_reconnect_failed_email_accounts" && JSON.stringify(a.argsRedacted) === wanted),
    (a): a is Approval => a !== undefined,
    60_000,
  ) as Promise<Approval>;
}

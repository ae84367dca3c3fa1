// ApprovalNotifier over chat.postMessage / chat.update. Errors propagate: the caller's BullMQ job retries
// with backoff, and the approval stays pending (and decidable elsewhere) meanwhile.
import type { Approval, ApprovalNotifier } from "../approvals/types.ts";
import { GatewayError } from "../errors.ts";
import { approvalMessage } from "./blocks.ts";
import { describeSlackError, type WebClient } from "./client.ts";

export interface SlackNotifierOptions {
  client: WebClient;
  /** Used when the policy's approval block names no channel. */
  defaultChannel?: string | null;
  now?: () => Date;
}

export function createSlackNotifier(options: SlackNotifierOptions): ApprovalNotifier {
  const { client, now = () => new Date() } = options;

  return {
    async post(approval) {
      const channel = approval.spec.channel ?? options.defaultChannel ?? null;
      if (!channel) {
        throw new GatewayError(
          "config_invalid",
          `No Slack channel for approval ${approval.id} (${approval.upstream}/${approval.tool}): set "approval.channel" in the policy, "approvals.channel" in gatehouse.json, or SLACK_CHANNEL.`,
          { context: { approvalId: approval.id } },
        );
      }
      const message = approvalMessage(approval, now());
      const result = await call(approval, "chat.postMessage", () => client.chat.postMessage({ channel, ...message }));
      if (!result.ts) throw new GatewayError("upstream_failed", `Slack accepted the message for approval ${approval.id} but returned no ts.`, { retryable: true });
      // Slack answers with the channel id even when the policy named the channel ("#approvals").
      return { channel: result.channel ?? channel, ts: result.ts };
    },
    async update(approval) {
      const message = approvalMessage(approval, now());
      await call(approval, "chat.update", () => client.chat.update({ channel: approval.slackChannel, ts: approval.slackTs, ...message }));
    },
  };
}

async function call<T>(approval: Approval, method: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (cause) {
    throw new GatewayError("upstream_failed", `Slack ${method} failed for approval ${approval.id}: ${describeSlackError(cause)}`, {
      retryable: true,
      cause,
      context: { approvalId: approval.id, method },
    });
  }
}

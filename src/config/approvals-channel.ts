// Where approval messages go when a policy's `approval.channel` names none. gatehouse.json wins over
// SLACK_CHANNEL: the file is the reviewed deployment setting (it can still say "${SLACK_CHANNEL}"),
// the variable is the default that lets the demo post to Slack from the environment alone.
import type { Env } from "./env.ts";
import type { GatehouseConfig } from "./load.ts";

export interface ApprovalsChannel {
  id: string;
  source: "gatehouse.json" | "SLACK_CHANNEL";
}

export function resolveApprovalsChannel(config: { approvals: Pick<GatehouseConfig["approvals"], "channel"> }, env: Pick<Env, "SLACK_CHANNEL">): ApprovalsChannel | null {
  const fromFile = config.approvals.channel?.trim();
  if (fromFile) return { id: fromFile, source: "gatehouse.json" };
  return env.SLACK_CHANNEL ? { id: env.SLACK_CHANNEL.trim(), source: "SLACK_CHANNEL" } : null;
}

// gatehouse_approval_status: the other way for an agent to come back for a held call. It attaches like
// an identical retry: it waits (up to max_wait) for the decision and, once approved, runs the call and
// returns its result. Cancelling a status call only stops that wait; the approval stays open.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Logger } from "../log/index.ts";
import type { GatewayTool } from "../proxy/gateway.ts";
import type { ApprovalFollower } from "./follow.ts";
import type { HoldSettingsResolver } from "./hold-settings.ts";
import type { ApprovalRepository } from "./repository.ts";
import { finalResult, STATUS_TOOL_NAME } from "./results.ts";
import { isTerminal, type Approval } from "./types.ts";

const Args = z.object({ id: z.string().min(1) });

export function createApprovalStatusTool(deps: { repo: ApprovalRepository; follower: ApprovalFollower; settingsFor: HoldSettingsResolver; logger: Logger }): GatewayTool {
  const failure = (text: string): CallToolResult => ({ isError: true, content: [{ type: "text", text }] });
  return {
    definition: {
      name: STATUS_TOOL_NAME,
      title: "Approval status",
      description:
        "Waits for the decision on a tool call held for human approval (use the approval id from the held call's answer). " +
        "Once approved, runs the call (at most once) and returns its result; if still undecided after a while, says so and can be called again.",
      inputSchema: { type: "object", properties: { id: { type: "string", description: "Approval id" } }, required: ["id"], additionalProperties: false },
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    async call(context, args, extra): Promise<CallToolResult> {
      const parsed = Args.safeParse(args);
      if (!parsed.success) return failure(`${STATUS_TOOL_NAME} needs {"id": "<approval id>"}`);
      let approval: Approval | null;
      try {
        approval = await deps.repo.get(parsed.data.id);
      } catch (error) {
        deps.logger.warn({ err: (error as Error).message }, "approval status unavailable");
        return failure("Gatehouse cannot read approvals right now (its database is unavailable). Nothing changed; call again shortly.");
      }
      // Another grant's approval is reported as unknown: ids are not secrets, but results are.
      if (!approval || approval.grantName !== context.grant.name) return failure(`No approval ${parsed.data.id} for this agent.`);
      if (isTerminal(approval.status)) return finalResult(approval);
      return deps.follower.follow(approval, {
        settings: deps.settingsFor({ grant: context.grant.name, client: context.client?.name ?? null }),
        signal: extra.signal,
        detached: extra.detached,
        onprogress: extra.onprogress,
        origin: extra.origin,
        isReturn: true,
        onCancel: "stop_waiting",
      });
    },
  };
}

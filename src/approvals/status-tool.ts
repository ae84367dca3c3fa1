// gatehouse_approval_status: how a client that got a ticket follows its held call.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { GatewayTool } from "../proxy/gateway.ts";
import type { ApprovalRepository } from "./repository.ts";
import { finalResult, STATUS_TOOL_NAME } from "./results.ts";

const Args = z.object({ id: z.string().min(1) });

export function createApprovalStatusTool(repo: ApprovalRepository): GatewayTool {
  return {
    definition: {
      name: STATUS_TOOL_NAME,
      title: "Approval status",
      description:
        "Status of a tool call held for human approval. Returns the decision, or the tool's result once the approved call has run. Use the approval id from the held call's answer.",
      inputSchema: { type: "object", properties: { id: { type: "string", description: "Approval id" } }, required: ["id"], additionalProperties: false },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async call(context, args): Promise<CallToolResult> {
      const parsed = Args.safeParse(args);
      if (!parsed.success) return { isError: true, content: [{ type: "text", text: `${STATUS_TOOL_NAME} needs {"id": "<approval id>"}` }] };
      const approval = await repo.get(parsed.data.id);
      // Another grant's approval is reported as unknown: ids are not secrets, but results are.
      if (!approval || approval.grantName !== context.grant.name) {
        return { isError: true, content: [{ type: "text", text: `No approval ${parsed.data.id} for this agent.` }] };
      }
      return finalResult(approval);
    },
  };
}

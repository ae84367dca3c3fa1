// The MCP server an agent talks to: one instance per client session, bound to that session's grant.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { CallerContext, Gateway } from "./gateway.ts";

export const GATEWAY_INFO = { name: "gatehouse", version: "0.1.0" };

export function createDownstreamServer(gateway: Gateway, context: () => CallerContext): Server {
  const server = new Server(GATEWAY_INFO, {
    capabilities: { tools: { listChanged: true } },
    instructions: "Tool calls pass through Gatehouse: some may be denied, rate-limited or held for human approval.",
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await gateway.listTools(context()) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    // Progress is relayed as it arrives; the result waits for the relays so the last progress
    // notification is not overtaken by the response (clients drop progress after the result).
    const relays: Array<Promise<void>> = [];
    const result = await gateway.callTool(context(), request.params.name, request.params.arguments ?? {}, {
      signal: extra.signal,
      onprogress:
        progressToken === undefined
          ? undefined
          : (progress) => {
              relays.push(extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken } }).catch(() => {}));
            },
    });
    await Promise.all(relays);
    return result;
  });
  return server;
}

// The SmartLead-shaped demo upstream as a low-level MCP Server. The low-level API is used because
// the tool schemas are plain JSON Schema (from tools.json), not zod. One Server per connection or
// HTTP session; all of them may share one AccountState, as sessions of one real account would.
import { setTimeout as sleep } from "node:timers/promises";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { findSchemaViolations, ToolArgs } from "./arguments.ts";
import { annotationsFor, loadToolCatalog, type ToolSpec } from "./catalog.ts";
import { fail } from "./handlers/common.ts";
import { toolHandlers, type ToolContext, type ToolHandler } from "./handlers/index.ts";
import { createAccountState, type AccountState } from "./state.ts";

export interface SmartleadServerOptions {
  /** Simulated latency per item of slow tools (reconnect and bulk tools), in ms. */
  stepDelayMs?: number;
}

export const SERVER_INFO = { name: "smartlead-demo", title: "SmartLead (Gatehouse demo)", version: "1.0.0" };

const DEFAULT_STEP_DELAY_MS = 25;

export function createSmartleadServer(state: AccountState = createAccountState(), options: SmartleadServerOptions = {}): Server {
  const tools = bindHandlers(loadToolCatalog());
  const listed: Tool[] = [...tools.values()].map(({ spec }) => ({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: spec.inputSchema as Tool["inputSchema"],
    annotations: annotationsFor(spec),
  }));
  const stepDelayMs = options.stepDelayMs ?? DEFAULT_STEP_DELAY_MS;

  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions: "Demo SmartLead workspace kept in memory. Data resets when the server restarts.",
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args = {} } = request.params;
    const tool = tools.get(name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const problems = findSchemaViolations(tool.spec.inputSchema, args);
    if (problems.length > 0) return fail(`Invalid arguments for ${name}: ${problems.join("; ")}`);

    state.toolCalls.set(name, (state.toolCalls.get(name) ?? 0) + 1);
    const progressToken = request.params._meta?.progressToken;
    const context: ToolContext = {
      state,
      signal: extra.signal,
      reportProgress: async (progress, total, message) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, total, message } });
      },
      pauseBetweenSteps: async () => {
        if (stepDelayMs > 0) await sleep(stepDelayMs, undefined, { signal: extra.signal });
      },
    };
    return tool.handler(new ToolArgs(args), context);
  });

  return server;
}

/** Pairs every catalog entry with its handler; a gap either way is a bug in this example. */
function bindHandlers(catalog: readonly ToolSpec[]): Map<string, { spec: ToolSpec; handler: ToolHandler }> {
  const bound = new Map<string, { spec: ToolSpec; handler: ToolHandler }>();
  for (const spec of catalog) {
    const handler = toolHandlers[spec.name];
    if (!handler) throw new Error(`SmartLead demo: no handler for tool ${spec.name}`);
    bound.set(spec.name, { spec, handler });
  }
  const extra = Object.keys(toolHandlers).filter((name) => !bound.has(name));
  if (extra.length > 0) throw new Error(`SmartLead demo: handlers without a tools.json entry: ${extra.join(", ")}`);
  return bound;
}

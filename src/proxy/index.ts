export { createGateway, type CallerContext, type CallExtra, type Gateway, type GatewayDeps, type PendingCall, type ApprovalHandler, type GatewayTool } from "./gateway.ts";
export { createToolNaming, type NamingRule, type ToolNaming } from "./naming.ts";
export { loadPolicies, type PolicySource } from "./policies.ts";
export { refusal } from "./results.ts";
export { ANSWERED_WITHOUT_HOLD, createDownstreamServer, GATEWAY_INFO, GATEWAY_INSTRUCTIONS, type DownstreamSession, type SessionEnd, type TaskSupport, toolCallHandlerOf, type ToolCallHandler } from "./server.ts";
export { createUpstreamConnection, type UpstreamConnection, type UpstreamStatus } from "./upstream.ts";

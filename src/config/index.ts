export { resolveApprovalsChannel, type ApprovalsChannel } from "./approvals-channel.ts";
export { parseEnv, type Env } from "./env.ts";
export { dataDirOf, demoConfig, loadConfig, parseConfig, type GatehouseConfig, type ResolvedUpstream } from "./load.ts";
export { PROJECT_ROOT } from "../package-root.ts";
export { ConfigSchema, isStdioUpstream, type DashboardConfig, type HttpUpstreamConfig, type StdioUpstreamConfig, type UpstreamConfig } from "./schema.ts";

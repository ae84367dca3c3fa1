// The gatehouse.json document. Secrets never live in the file: `${VAR}` is interpolated from the
// environment before validation (see load.ts).
import { z } from "zod";
import { DEFAULT_DATA_DIR } from "./locate.ts";

const upstreamName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "upstream names are lowercase letters, digits, '-' and '_' (max 40)");

const commonUpstream = {
  policy: z.string().optional().describe("Policy file; default policies/<upstream>.json next to the config"),
  timeoutMs: z.number().int().positive().default(60_000),
};

export const StdioUpstreamSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    ...commonUpstream,
  })
  .strict();

export const HttpUpstreamSchema = z
  .object({
    url: z.url(),
    headers: z.record(z.string(), z.string()).default({}),
    ...commonUpstream,
  })
  .strict();

export const UpstreamSchema = z.union([StdioUpstreamSchema, HttpUpstreamSchema]);

const waitFields = {
  maxWaitSeconds: z.number().positive().max(24 * 3600).describe("A held request gets the pending answer after this long; keep it below the client's request timeout"),
  heartbeatSeconds: z.number().positive().describe("Progress heartbeats while a request is held"),
  pendingText: z.string().min(1).max(4000).describe("Text of the pending answer: {tool} {id} {where} {channel} {deadline} {status_tool}"),
};

const HoldOverrideSchema = z
  .object({ maxWaitSeconds: waitFields.maxWaitSeconds.optional(), heartbeatSeconds: waitFields.heartbeatSeconds.optional(), pendingText: waitFields.pendingText.optional() })
  .strict();

const holdSettings = {
  maxWaitSeconds: waitFields.maxWaitSeconds.default(45),
  heartbeatSeconds: waitFields.heartbeatSeconds.default(10),
  pendingText: waitFields.pendingText.optional(),
};

const OidcSchema = z
  .object({
    issuer: z.url().describe("The provider's issuer URL (its /.well-known/openid-configuration is read)"),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional().describe("Use ${ENV_VAR}; omit for a public client (PKCE only)"),
    scopes: z.array(z.string()).default(["openid", "email", "profile"]),
    identityClaim: z.string().default("email").describe("The ID token claim that names the person (email, preferred_username, sub)"),
    admins: z.array(z.string()).default([]).describe("Identities (or *@domain) that sign in as admin"),
    reviewers: z.array(z.string()).default([]).describe("Identities (or *@domain, or *) that may sign in as reviewers; linked reviewers always may"),
    label: z.string().default("Sign in with single sign-on"),
  })
  .strict();

/** A Host header value: name or address, optional port, nothing else; or "*". */
function isHostEntry(entry: string): boolean {
  if (entry === "*") return true;
  try {
    const url = new URL(`http://${entry}`);
    const lower = entry.toLowerCase();
    return url.host === lower || `${url.host}:80` === lower;
  } catch {
    return false;
  }
}

/** scheme://host[:port] (http or https, no path), "null" (sandboxed pages, files) or "*". */
function isOriginEntry(entry: string): boolean {
  if (entry === "*" || entry === "null") return true;
  try {
    const url = new URL(entry);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === entry.toLowerCase().replace(/\/$/, "");
  } catch {
    return false;
  }
}

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    listen: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8787),
        allowedHosts: z
          .array(z.string().refine(isHostEntry, { error: (issue) => `${JSON.stringify(issue.input)} is not a host as clients send it in the Host header (name, name:port, 192.0.2.7:8787, [::1]:8787), or "*"` }))
          .optional()
          .describe("Host header values served besides the loopback names (DNS-rebinding protection); set for a non-loopback bind or a reverse proxy; \"*\": any"),
        allowedOrigins: z
          .array(z.string().refine(isOriginEntry, { error: (issue) => `${JSON.stringify(issue.input)} is not an origin (https://app.example.com, http://localhost:6274), "null" or "*"` }))
          .optional()
          .describe("Origins of web pages allowed to call the gateway besides its own; \"*\": any"),
      })
      .strict()
      .default({ host: "127.0.0.1", port: 8787 }),
    auth: z
      .object({
        mode: z.enum(["token", "none"]).default("token"),
        grant: z.string().default("local").describe("Grant used for every call when mode is none"),
      })
      .strict()
      .default({ mode: "token", grant: "local" }),
    namespace: z
      .object({
        mode: z.enum(["auto", "always", "never"]).default("auto"),
        separator: z.string().min(1).max(4).default("__"),
      })
      .strict()
      .default({ mode: "auto", separator: "__" }),
    upstreams: z.record(upstreamName, UpstreamSchema).refine((u) => Object.keys(u).length > 0, "at least one upstream"),
    grants: z
      .array(
        z
          .object({
            name: z.string().min(1),
            token: z.string().min(16).optional().describe("Use ${ENV_VAR}; only its hash is stored"),
            owner: z.string().optional(),
            labels: z.record(z.string(), z.string()).default({}),
          })
          .strict(),
      )
      .default([]),
    storage: z
      .object({
        dataDir: z.string().default(DEFAULT_DATA_DIR),
        schema: z.string().default("public"),
        preparedStatements: z
          .boolean()
          .default(true)
          .describe("PostgreSQL plans the hot statements once per connection; false behind a transaction pooler that cannot keep prepared statements (PgBouncer before 1.21)"),
      })
      .strict()
      .default({ dataDir: DEFAULT_DATA_DIR, schema: "public", preparedStatements: true }),
    approvals: z
      .object({
        channel: z.string().optional().describe("Slack channel id for approval messages when a policy names none"),
        ...holdSettings,
        clients: z
          .record(z.string().min(1), HoldOverrideSchema)
          .default({})
          .describe("Hold settings per client name (clientInfo.name, case-insensitive glob); the first match applies"),
        grants: z.record(z.string().min(1), HoldOverrideSchema).default({}).describe("Hold settings per grant name; they win over client settings"),
        claimGraceSeconds: z.number().positive().default(120).describe("An approval decided in its last moments stays claimable at least this long"),
        resultWindowSeconds: z.number().nonnegative().default(600).describe("An identical call this soon after a held call ran gets its stored result"),
        recordTimeoutSeconds: z
          .number()
          .positive()
          .default(5)
          .describe("How long recording an approval request may wait for the database's answer before the call is refused"),
        pollMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe("Safety sweep of the approvals this gateway holds calls for (one query for all), in case a notification is lost"),
        reaperSeconds: z.number().positive().default(5),
        instanceStaleSeconds: z.number().positive().default(30).describe("A gateway whose heartbeat is older is considered dead"),
      })
      .strict()
      .default({
        maxWaitSeconds: 45,
        heartbeatSeconds: 10,
        clients: {},
        grants: {},
        claimGraceSeconds: 120,
        resultWindowSeconds: 600,
        recordTimeoutSeconds: 5,
        pollMs: 5_000,
        reaperSeconds: 5,
        instanceStaleSeconds: 30,
      }),
    audit: z
      .object({
        checkpoints: z
          .object({
            enabled: z.boolean().default(true).describe("Write signed checkpoints of the audit chain head"),
            everyEvents: z.number().int().positive().default(1000).describe("A checkpoint once this many events were appended since the last one"),
            everySeconds: z.number().positive().default(300).describe("…or once this long has passed since the last one (when there are new events)"),
            file: z
              .union([z.string().min(1), z.literal(false)])
              .optional()
              .describe("JSON-lines file the checkpoints are appended to; default <dataDir>/audit-checkpoints.jsonl; false: none"),
            webhook: z
              .object({
                url: z.url(),
                headers: z.record(z.string(), z.string()).default({}).describe("Use ${ENV_VAR} for secrets"),
                timeoutMs: z.number().int().positive().default(5_000),
              })
              .strict()
              .optional()
              .describe("Each checkpoint is POSTed here as JSON, retried with backoff; calls never wait for it"),
          })
          .strict()
          .default({ enabled: true, everyEvents: 1000, everySeconds: 300 }),
      })
      .strict()
      .default({ checkpoints: { enabled: true, everyEvents: 1000, everySeconds: 300 } }),
    limits: z
      .object({
        maxBodyBytes: z.number().int().positive().default(1_048_576),
        sessionIdleSeconds: z.number().positive().default(1_800).describe("An MCP session with no open request or event stream for this long is closed"),
        // One agent process holds one session; 100 leaves room for many processes sharing a grant while
        // capping what a client that never sends DELETE can hold (~30 KB each).
        maxSessionsPerGrant: z.number().int().positive().default(100).describe("Open MCP sessions per grant; a further initialize gets HTTP 429"),
      })
      .strict()
      .default({ maxBodyBytes: 1_048_576, sessionIdleSeconds: 1_800, maxSessionsPerGrant: 100 }),
    dashboard: z
      .object({
        publicUrl: z.url().optional().describe("The URL people open the dashboard at (behind a proxy); used for sign-on redirects"),
        sessionHours: z.number().positive().max(24 * 30).default(12).describe("A dashboard sign-in lasts this long"),
        secureCookies: z.boolean().optional().describe("Mark the session cookie Secure; default: when the request came over HTTPS"),
        oidc: OidcSchema.optional(),
      })
      .strict()
      .default({ sessionHours: 12 }),
  })
  .strict();

export type GatehouseConfigFile = z.infer<typeof ConfigSchema>;
export type DashboardConfig = GatehouseConfigFile["dashboard"];
export type UpstreamConfig = z.infer<typeof UpstreamSchema>;
export type StdioUpstreamConfig = z.infer<typeof StdioUpstreamSchema>;
export type HttpUpstreamConfig = z.infer<typeof HttpUpstreamSchema>;

export function isStdioUpstream(upstream: UpstreamConfig): upstream is StdioUpstreamConfig {
  return "command" in upstream;
}

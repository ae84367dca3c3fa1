// Starts the real gateway in-process on an ephemeral port, on the storage this test run targets:
// embedded in-memory PGlite by default; DATABASE_URL (+ REDIS_URL) with a unique schema per gateway.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { parseConfig, parseEnv, PROJECT_ROOT } from "../../src/config/index.ts";
import { silentLogger, type Logger } from "../../src/log/index.ts";
import { startGateway, type GatewayInstance } from "../../src/main.ts";

export const DEMO_UPSTREAM = {
  command: process.execPath,
  args: ["--import", "tsx", join(PROJECT_ROOT, "examples/smartlead/main.ts")],
  cwd: PROJECT_ROOT,
  env: { SMARTLEAD_BANNER: "1" },
};

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

export interface TestGateway {
  instance: GatewayInstance;
  url: string;
  dir: string;
  /** The config this gateway runs, written to `<dir>/gatehouse.json` so `gatehouse stdio --config` can join it. */
  configFile: string;
  /** Creates a grant and returns its token. */
  createToken(name: string, owner?: string): Promise<string>;
  /** Adds a reviewer (linked to a Slack user id when given) and returns their token. */
  createReviewer(name: string, slackUserId?: string): Promise<string>;
  connect(token: string): Promise<Client>;
  writePolicy(name: string, policy: unknown): Promise<string>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  upstreams: Record<string, unknown>;
  policies: Record<string, unknown>;
  extraConfig?: Record<string, unknown>;
  /** Reuse this schema (restart tests); a fresh one otherwise. */
  schema?: string;
  /** Join another gateway's database (several gateways sharing one store). */
  databaseUrl?: string;
  /** Extra environment (Slack settings). */
  env?: Record<string, string>;
  dir?: string;
  /** Where the gateway logs (silent by default). */
  logger?: Logger;
}

export function storageLabel(): string {
  if (!process.env.DATABASE_URL) return "embedded";
  return process.env.REDIS_URL ? "postgres+redis" : "postgres";
}

export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "gatehouse-test-")));
  const writePolicy = async (name: string, policy: unknown) => {
    const file = join(dir, `${name}.policy.json`);
    await writeFile(file, typeof policy === "string" ? policy : JSON.stringify(policy, null, 2));
    return file;
  };
  const upstreams: Record<string, unknown> = {};
  for (const [name, upstream] of Object.entries(options.upstreams)) {
    const file = await writePolicy(name, options.policies[name] ?? { version: "1", default: "allow" });
    upstreams[name] = { ...(upstream as object), policy: file };
  }
  const schema = options.schema ?? `gh_t_${randomBytes(5).toString("hex")}`;
  const configText = JSON.stringify({ listen: { host: "127.0.0.1", port: 0 }, upstreams, storage: { dataDir: join(dir, "data"), schema }, ...options.extraConfig });
  const configFile = join(dir, "gatehouse.json");
  await writeFile(configFile, configText);
  const config = parseConfig(configText, configFile);
  const env = parseEnv({
    DATABASE_URL: options.databaseUrl ?? process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    GATEHOUSE_ADMIN_TOKEN: "admin-token-for-tests",
    // Gateways sharing one database (replica tests) must share the sealing key.
    GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ...options.env,
  });
  /** What this helper made for the gateway: its schema (PostgreSQL) and its folder, unless given. */
  const removeOwnState = async () => {
    if (process.env.DATABASE_URL && !options.schema && !options.databaseUrl) await dropSchema(schema);
    if (!options.dir) await rm(dir, { recursive: true, force: true });
  };
  let instance: GatewayInstance;
  try {
    instance = await startGateway({ config, env, logger: options.logger ?? silentLogger(), isEphemeral: !options.dir });
  } catch (error) {
    // A start refused after the storage was opened (a start-up check) has created its schema already.
    await removeOwnState();
    throw error;
  }
  const clients: Client[] = [];
  return {
    instance,
    url: instance.url!,
    dir,
    configFile,
    writePolicy,
    async createToken(name, owner) {
      const created = await instance.grants.create(name, { owner });
      if (!created.ok) throw new Error(created.reason);
      return created.token;
    },
    async createReviewer(name, slackUserId) {
      const added = await instance.reviewers.add(name, { slackUserId });
      if (!added.ok) throw new Error(added.reason);
      return added.token;
    },
    async connect(token) {
      const client = new Client({ name: "test-agent", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${instance.url}/mcp`), { requestInit: { headers: token ? { Authorization: `Bearer ${token}` } : {} } }),
      );
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await instance.close();
      await removeOwnState();
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function textOf(result: unknown): string {
  const content = ((result as { content?: unknown }).content ?? []) as Array<{ type: string; text?: string }>;
  return content.filter((c) => c.type === "text").map((c) => c.text).join("\n");
}

// Composition root: config → storage → policies → upstreams → gateway → HTTP. Every resource opened
// here is closed by one memoised close(), in reverse order, even when a step fails.
import { EventEmitter, once } from "node:events";
import { mkdir } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { DEFAULT_PENDING_TEXT, TASK_CANCEL_REASON, type ApprovalNotifications } from "./approvals/index.ts";
import { startApprovals, type ApprovalsModule } from "./approvals/module.ts";
import { checkpointFile, createAuditWriter, loadSigningKey, startCheckpoints, type Checkpointer } from "./audit/index.ts";
import { dataDirOf, resolveApprovalsChannel, type ApprovalsChannel, type Env, type GatehouseConfig } from "./config/index.ts";
import { connectDatabase, hasEmbeddedDatabase, migrateDatabase, openEmbeddedDatabase, type Database, type EmbeddedDatabase } from "./db/index.ts";
import { registerRunningGateway, removeGatewayFile, storageIdentity, unregisterRunningGateway, writeGatewayFile } from "./discovery/index.ts";
import { GatewayError } from "./errors.ts";
import { createGrantStore, generateToken, type Grant, type GrantStore } from "./grants/index.ts";
import { createHttpApp } from "./http/app.ts";
import { hostRulesFor } from "./http/host-guard.ts";
import type { McpRoute } from "./http/mcp.ts";
import { createLogger, type Logger } from "./log/index.ts";
import { createMetrics } from "./metrics/index.ts";
import { createGateway, createToolNaming, createUpstreamConnection, loadPolicies, type Gateway, type PolicySource, type TaskSupport, type UpstreamConnection } from "./proxy/index.ts";
import { startQueues } from "./approvals/queues/index.ts";
import { createPostgresTaskStore, HELD_TASK_CANCELLED } from "./tasks/index.ts";
import { createRedisQuotaStore, createSqlQuotaStore, type QuotaStore } from "./ratelimit/index.ts";
import { connectRedis } from "./redis/index.ts";
import { createSealer, loadSealingKey } from "./secrets/index.ts";
import { createReviewerStore, type ReviewerStore } from "./reviewers/index.ts";
import { createSessionStore } from "./sessions/index.ts";
import { createPolicyAdmin, type PolicyAdmin } from "./policies/index.ts";

/** How long an idle client connection is kept open (the `Keep-Alive: timeout=65` header says so). */
const KEEP_ALIVE_MS = 65_000;
const LISTEN_BACKLOG = 4_096;

export interface StartOptions {
  config: GatehouseConfig;
  env: Env;
  logger?: Logger;
  /** Serve HTTP (`start`); false for `gatehouse stdio`. */
  isHttp?: boolean;
  /** Keep the embedded database in memory instead of under storage.dataDir (tests). */
  isEphemeral?: boolean;
  /** The embedded database, already opening (`gatehouse start` boots it while Node loads the gateway's modules). */
  embedded?: Promise<EmbeddedDatabase>;
}

export interface StorageHandles {
  database: Database;
  /** Connection string of the database (the embedded socket in embedded mode). */
  url: string;
  mode: "embedded" | "postgres" | "postgres+redis";
  /** True when the server is PGlite (also when reached through DATABASE_URL): one shared session, no usable LISTEN/NOTIFY. */
  isPglite: boolean;
  close(): Promise<void>;
}

export interface GatewayInstance {
  config: GatehouseConfig;
  url: string | null;
  gateway: Gateway;
  grants: GrantStore;
  /** Reviewer credentials (people who decide over the API / CLI). */
  reviewers: ReviewerStore;
  database: Database;
  /** Connection string of the database (the embedded socket in embedded mode). */
  databaseUrl: string;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  policies: PolicySource;
  /** Policy versions, validation, dry run, effective decisions, save and rollback (the /api/policies routes). */
  policyAdmin: PolicyAdmin;
  tasksFor: (grant: Grant) => TaskSupport;
  storageMode: StorageHandles["mode"];
  approvals: ApprovalsModule;
  /** How Slack is connected, or null when it is off (no SLACK_BOT_TOKEN). */
  slackMode: "http" | "socket" | null;
  /** Channel for approval messages whose policy names none (approvals.channel, else SLACK_CHANNEL). */
  approvalsChannel: ApprovalsChannel | null;
  quota: QuotaStore;
  /** The demo grant's token, when this start created or rotated it. */
  demoToken: string | null;
  adminToken: string | undefined;
  /** The /mcp route and its sessions; null for `gatehouse stdio`. */
  mcp: McpRoute | null;
  /** The key that signs audit checkpoints (public half only) and the checkpointer (null when checkpoints are off). */
  auditCheckpoints: { keyId: string; publicKeyPem: string; checkpointer: Checkpointer | null };
  /** "policy.reloaded" / "policy.error" (upstream, issues): lets tests and embedders await reloads. */
  events: EventEmitter;
  close(): Promise<void>;
}

const NO_NOTIFICATIONS: ApprovalNotifications = { requestNotification: async () => {}, scheduleExpiry: async () => {} };

/**
 * Opens the database of this deployment (embedded PGlite or DATABASE_URL) and migrates it. With
 * `isExistingOnly` (the CLI's offline commands) a location that holds no Gatehouse database is an error
 * naming it, instead of a new empty database: only `start` and `db migrate` create one.
 */
export async function openStorage(
  config: GatehouseConfig,
  env: Env,
  options: { isEphemeral?: boolean; isExistingOnly?: boolean; embedded?: Promise<EmbeddedDatabase> } = {},
): Promise<StorageHandles> {
  const schema = env.GATEHOUSE_DB_SCHEMA ?? config.storage.schema;
  const dataDir = dataDirOf(config, env);
  if (options.isExistingOnly && !env.DATABASE_URL && !hasEmbeddedDatabase(dataDir)) {
    throw new GatewayError("config_invalid", `No Gatehouse database in ${resolve(dataDir)}: is the data directory right (--data-dir, GATEHOUSE_DATA_DIR, storage.dataDir)? Only \`gatehouse start\` and \`gatehouse db migrate\` create one.`);
  }
  const embedded = env.DATABASE_URL ? null : await (options.embedded ?? openEmbeddedDatabase(options.isEphemeral ? null : dataDir));
  let url = env.DATABASE_URL ?? embedded!.url;
  // PGlite is one session behind the socket: a single connection keeps transactions from interleaving.
  let database = connectDatabase(url, { schema, max: embedded ? 1 : 10 });
  const close = async () => {
    await database.close();
    await embedded?.close();
  };
  if (options.isExistingOnly && env.DATABASE_URL && !(await hasGatehouseTables(database).catch(() => true))) {
    await close();
    throw new GatewayError("config_invalid", `No Gatehouse tables in schema "${schema}" of DATABASE_URL: is the schema right (GATEHOUSE_DB_SCHEMA, storage.schema)? Only \`gatehouse start\` and \`gatehouse db migrate\` create them.`);
  }
  try {
    await migrateDatabase(database);
    if (embedded?.isNew && embedded.isOwner) {
      // Creating and migrating a new embedded database grows its thread's memory for good (~0.4 GB more
      // resident): the gateway serves from a fresh thread instead.
      await database.close();
      await embedded.restart();
      url = embedded.url;
      database = connectDatabase(url, { schema, max: 1 });
    }
  } catch (cause) {
    await close();
    throw new GatewayError("storage_unavailable", `Cannot prepare the database: ${(cause as Error).message}`, { cause });
  }
  const version = await database.pool.query<{ version: string }>("SELECT version()").catch(() => ({ rows: [{ version: "" }] }));
  const isPglite = /PGlite/i.test(version.rows[0]?.version ?? "");
  // Never on the embedded database, even if its version could not be read.
  database.namesStatements = Boolean(env.DATABASE_URL) && !isPglite && config.storage.preparedStatements;
  return { database, url, isPglite, mode: env.DATABASE_URL ? (env.REDIS_URL ? "postgres+redis" : "postgres") : "embedded", close };
}

async function hasGatehouseTables(database: Database): Promise<boolean> {
  const found = await database.pool.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tool_calls'", [database.schema]);
  return found.rowCount !== null && found.rowCount > 0;
}

export async function startGateway(options: StartOptions): Promise<GatewayInstance> {
  const { config, env } = options;
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const closers: Array<() => Promise<unknown>> = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const step of closers.reverse()) {
        await step().catch((error: unknown) => logger.warn({ err: (error as Error).message }, "shutdown step failed"));
      }
    })());

  try {
    const isHttp = options.isHttp ?? true;
    if (isHttp && config.auth.mode === "none" && !isLoopback(env.HOST ?? config.listen.host)) {
      throw new GatewayError("config_invalid", `auth.mode "none" is only allowed on a loopback address (listen.host is ${env.HOST ?? config.listen.host}). Use grant tokens, or bind to 127.0.0.1.`);
    }
    // Upstream processes start first, so they boot while the database opens and migrates; they are closed at
    // their usual place in the order below (close is idempotent: this first entry matters only if start-up fails).
    const upstreams = new Map(config.upstreams.map((u) => [u.name, createUpstreamConnection(u, logger)] as const));
    const closeUpstreams = () => Promise.all([...upstreams.values()].map((u) => u.close()));
    const upstreamsReady = settleEach(upstreams, (u) => u.whenReady());
    closers.push(closeUpstreams);
    const phases = startupPhases();
    const storage = await openStorage(config, env, { isEphemeral: options.isEphemeral, embedded: options.embedded });
    closers.push(storage.close);
    const { database } = storage;

    phases.mark("storage");
    let quota: QuotaStore;
    if (env.REDIS_URL) {
      const redis = await connectRedis(env.REDIS_URL, { keyPrefix: database.schema === "public" ? undefined : `${database.schema}:` });
      closers.push(redis.close);
      quota = createRedisQuotaStore(redis.redis);
    } else {
      quota = createSqlQuotaStore(database);
    }

    const dataDir = options.isEphemeral ? null : dataDirOf(config, env);
    const auditKey = await loadSigningKey({ envKey: env.GATEHOUSE_AUDIT_SIGNING_KEY, dataDir, isShared: storage.mode !== "embedded", logger });
    const checkpointBaseDir = config.file ? dirname(config.file) : process.cwd();
    const checkpointer = startCheckpoints({ database, config: config.audit.checkpoints, key: auditKey, dataDir, baseDir: checkpointBaseDir, logger });
    // Closed after the writer (closers run in reverse), so its last checkpoint covers every event.
    if (checkpointer) closers.push(checkpointer.close);
    const metrics = createMetrics({ collectDefault: isHttp });
    const audit = createAuditWriter({ database, observer: metrics.auditWrites, onCommit: (entries) => checkpointer?.noteEvents(entries) });
    closers.push(audit.close);
    const grants = createGrantStore(database);
    const reviewers = createReviewerStore(database);
    for (const grant of config.grants) {
      if (grant.token) await grants.upsertWithToken(grant.name, grant.token, { owner: grant.owner, labels: grant.labels });
    }
    let demoToken: string | null = null;
    if (config.isDemo && isHttp) {
      demoToken = env.GATEHOUSE_DEMO_TOKEN ?? generateToken();
      await grants.upsertWithToken("demo", demoToken);
    } else if (config.isDemo) {
      await ensureGrant(grants, "demo"); // stdio acts as the grant; never rotate a running gateway's token
    }
    const anonymousGrant = config.auth.mode === "none" ? await ensureGrant(grants, config.auth.grant) : null;
    const adminToken = env.GATEHOUSE_ADMIN_TOKEN ?? (config.isDemo ? generateToken() : undefined);

    phases.mark("keys and grants");
    const events = new EventEmitter();
    const policies = await loadPolicies(config.upstreams, {
      logger,
      metrics,
      onEvent: (upstream, type, issues) => {
        events.emit(`policy.${type}`, upstream, issues);
        void audit
          .record({ event: { type: type === "reloaded" ? "policy.reloaded" : "policy.rejected", actor: "system", upstream, data: { issues } } })
          .catch(() => {});
      },
    });
    closers.push(policies.close);

    closers.push(closeUpstreams);
    phases.mark("policies");
    const naming = createToolNaming(config.namespace, [...upstreams.keys()]);
    const policyAdmin = createPolicyAdmin({ database, upstreams: config.upstreams, policies, connections: upstreams, audit, logger, listenUrl: storage.isPglite ? null : storage.url });
    closers.push(policyAdmin.close);
    await policyAdmin.start();

    const sealer = createSealer(
      await loadSealingKey({
        envKey: env.GATEHOUSE_ENCRYPTION_KEY,
        dataDir,
        isShared: storage.mode !== "embedded",
        logger,
      }),
    );
    phases.mark("policy admin and sealing key");
    const approvalsChannel = resolveApprovalsChannel(config, env);
    // Slack's SDK is the heaviest import of all: loaded only when Slack is configured.
    const slackModule = env.SLACK_BOT_TOKEN ? await import("./slack/index.ts") : null;
    const slackClient = env.SLACK_BOT_TOKEN && slackModule ? slackModule.createSlackClient({ botToken: env.SLACK_BOT_TOKEN, apiUrl: env.SLACK_API_URL, logger }) : null;
    const directory = slackClient && slackModule ? slackModule.createSlackDirectory(slackClient) : null;
    let notifications: ApprovalNotifications = NO_NOTIFICATIONS;
    let resyncMessages = async (): Promise<void> => {};
    let refreshStaleMessage = async (_id: string): Promise<void> => {};
    const approvals = await startApprovals({
      database,
      databaseUrl: storage.isPglite ? null : storage.url,
      audit,
      upstreams,
      quota,
      sealer,
      logger,
      metrics,
      notifications: () => notifications,
      hasNotifier: slackClient !== null,
      isApprover: directory?.isApprover,
      settings: {
        defaultChannel: approvalsChannel?.id ?? null,
        hold: {
          defaults: {
            maxWaitMs: config.approvals.maxWaitSeconds * 1000,
            heartbeatMs: config.approvals.heartbeatSeconds * 1000,
            pendingText: config.approvals.pendingText ?? DEFAULT_PENDING_TEXT,
          },
          clients: mapValues(config.approvals.clients, holdOverride),
          grants: mapValues(config.approvals.grants, holdOverride),
        },
        pollMs: config.approvals.pollMs,
        claimGraceMs: config.approvals.claimGraceSeconds * 1000,
        resultWindowMs: config.approvals.resultWindowSeconds * 1000,
        recordTimeoutMs: config.approvals.recordTimeoutSeconds * 1000,
      },
      timings: {
        heartbeatMs: Math.max(100, (config.approvals.instanceStaleSeconds * 1000) / 4),
        staleMs: config.approvals.instanceStaleSeconds * 1000,
        reaperMs: config.approvals.reaperSeconds * 1000,
      },
      sweeps: [() => resyncMessages()],
    });
    phases.mark("approvals");
    closers.push(approvals.close);
    metrics.readAtScrape({ pendingApprovals: () => approvals.repo.countPendingByUpstream(), upstreams: () => upstreams.keys(), auditBacklog: () => audit.status() });

    const slack =
      env.SLACK_BOT_TOKEN && slackModule && slackClient && directory
        ? slackModule.createSlackApp({
            botToken: env.SLACK_BOT_TOKEN,
            signingSecret: env.SLACK_SIGNING_SECRET,
            appToken: env.SLACK_APP_TOKEN,
            apiUrl: env.SLACK_API_URL,
            client: slackClient,
            directory,
            service: approvals.service,
            database,
            audit,
            logger,
            defaultChannel: approvalsChannel?.id ?? null,
            auditRefusals: false,
            onStale: (id) => void refreshStaleMessage(id),
          })
        : null;
    if (slack) {
      await slack.start();
      closers.push(slack.close);
    } else if (isHttp) {
      logger.info("Slack is off (no SLACK_BOT_TOKEN): decide held calls with `gatehouse approvals` or POST /api/approvals/:id/approve|deny");
    }
    phases.mark("slack");
    // The queues connect (and check their schema) while the steps below run; awaited before the listener.
    const queuesStarting = startQueues({ env, database, storage, service: approvals.service, notifier: slack?.notifier ?? null, logger, isWorkerStartDeferred: true });
    queuesStarting.catch(() => {}); // awaited in connectQueues
    closers.push(() => queuesStarting.then((started) => started.close(), () => {}));
    const connectQueues = async () => {
      const queues = await queuesStarting;
      notifications = queues;
      async function refreshMessage(id: string): Promise<void> {
        const approval = await approvals.repo.get(id);
        if (approval) await queues.requestUpdate(approval).catch((error: unknown) => logger.warn({ err: (error as Error).message, approval: id }, "could not queue a Slack update"));
      }
      refreshStaleMessage = refreshMessage;
      // Every change, made in any process, rewrites the reviewer message (jobs are deduplicated); the
      // reaper rewrites messages left behind while the queue was down.
      if (slack) {
        // A new approval's message is posted by its notify job, with the state it has then.
        const unsubscribeUpdates = approvals.bus.subscribe((change) => void (change.isNew ? undefined : refreshMessage(change.id)));
        closers.push(async () => unsubscribeUpdates());
        resyncMessages = async () => {
          for (const approval of await approvals.repo.staleSlackMessages("5 seconds")) await queues.requestResync(approval);
        };
      }
      phases.mark("queues");
      return queues;
    };
    const tasksFor = (grant: Grant): TaskSupport => ({
      store: createPostgresTaskStore(database, { grantName: grant.name }),
      onTaskCancelled: async (task) => {
        if (!task.approvalId) return;
        const isCancelled = await approvals.service.cancel(task.approvalId, TASK_CANCEL_REASON);
        if (isCancelled) return { statusMessage: HELD_TASK_CANCELLED };
        const current = await approvals.repo.get(task.approvalId);
        return { statusMessage: `Cancelled by the client, but the approval was already ${current?.status ?? "gone"}.` };
      },
    });
    const gateway = createGateway({ upstreams, policies, naming, quota, audit, logger, metrics, approvals: approvals.hold, tools: [approvals.statusTool] });
    // Runs first on shutdown: agents waiting on held calls get their pending answer while their
    // connections are still open (the approvals stay open; their retries attach on any gateway).
    const drainHolds = () => approvals.drainHolds(2_000);

    // Wait (bounded) for the first connection so a fresh gateway is usable when start resolves; an
    // upstream that is down is logged and keeps reconnecting in the background. Waited for last: the
    // upstreams boot while the steps above run.
    for (const [name, outcome] of await upstreamsReady) {
      if (outcome.status === "rejected") logger.warn({ upstream: name, err: (outcome.reason as Error).message }, "upstream not ready at start-up");
    }
    phases.mark("upstreams");

    let url: string | null = null;
    let mcpRoute: McpRoute | null = null;
    let queues: Awaited<ReturnType<typeof connectQueues>> | undefined;
    if (isHttp) {
      const { listener, mcp } = createHttpApp({
        gateway,
        approvals: approvals.service,
        approvalBus: approvals.bus,
        audit,
        grants,
        reviewers,
        sessions: createSessionStore(database, { ttlMs: config.dashboard.sessionHours * 3_600_000 }),
        dashboard: config.dashboard,
        database,
        policies,
        policyAdmin,
        upstreams,
        metrics,
        logger,
        maxBodyBytes: config.limits.maxBodyBytes,
        sessionLimits: { idleMs: config.limits.sessionIdleSeconds * 1000, maxPerGrant: config.limits.maxSessionsPerGrant },
        anonymousGrant,
        hostRules: hostRulesFor({ listenHost: env.HOST ?? config.listen.host, allowedHosts: config.listen.allowedHosts, allowedOrigins: config.listen.allowedOrigins, publicUrl: config.dashboard.publicUrl }),
        adminToken,
        auditKey: { keyId: auditKey.keyId, publicKey: auditKey.publicKey, publicKeyPem: auditKey.publicKeyPem },
        auditCheckpointFile: config.audit.checkpoints.enabled ? checkpointFile(config.audit.checkpoints, dataDir, checkpointBaseDir) : null,
        sealer,
        tasksFor,
        slackRouter: slack?.mode === "http" ? slack.router : undefined,
      });
      mcpRoute = mcp;
      queues = await connectQueues();
      // A burst of agents connecting at once (thousands of held requests reconnecting after a deploy) must
      // not overflow the accept queue: Node's default backlog is 511; the kernel caps this at somaxconn.
      const server: HttpServer = createHttpServer(listener);
      server.listen({ port: env.PORT ?? config.listen.port, host: env.HOST ?? config.listen.host, backlog: LISTEN_BACKLOG });
      // Idle keep-alive sockets stay open longer than clients and proxies keep theirs (60 s is common):
      // with Node's 5 s, a client reusing a socket the gateway just closed fails its POST (undici does
      // not retry a POST). headersTimeout must exceed keepAliveTimeout.
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      server.headersTimeout = KEEP_ALIVE_MS + 1_000;
      await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e as Error))]);
      closers.push(async () => {
        // Stop accepting, let answers still owed go out (held calls answer at once when draining), then cut.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await mcp.close();
        server.closeAllConnections();
        await closed;
      });
      const address = server.address() as AddressInfo;
      url = `http://${formatHost(address.address)}:${address.port}`;
      if (dataDir) {
        const isAdminTokenGenerated = adminToken !== undefined && adminToken !== env.GATEHOUSE_ADMIN_TOKEN;
        await mkdir(dataDir, { recursive: true });
        await writeGatewayFile(dataDir, { url, pid: process.pid, startedAt: new Date().toISOString(), ...(isAdminTokenGenerated && { adminToken }) });
        // Lets a `gatehouse stdio` started elsewhere tell that it would not share this gateway's state.
        const running = { dataDir: resolve(dataDir), storage: storageIdentity(env.DATABASE_URL, resolve(dataDir), database.schema), configFile: config.file };
        await registerRunningGateway(env.GATEHOUSE_STATE_DIR, running).catch((error: unknown) => logger.debug({ err: (error as Error).message }, "cannot record this gateway in the running-gateways folder"));
        closers.push(() => unregisterRunningGateway(env.GATEHOUSE_STATE_DIR, running.dataDir));
        closers.push(() => removeGatewayFile(dataDir, process.pid));
      }
    }
    queues ??= await connectQueues();
    phases.mark("http");
    queues.startWorkers();
    logger.debug({ startupMs: phases.total(), phases: phases.list() }, "start-up phases");
    closers.push(drainHolds);
    return { config, url, gateway, grants, reviewers, database, databaseUrl: storage.url, tasksFor, upstreams, policies, policyAdmin, storageMode: storage.mode, approvals, slackMode: slack?.mode ?? null, approvalsChannel, quota, demoToken, adminToken, mcp: mcpRoute, events, close, auditCheckpoints: { keyId: auditKey.keyId, publicKeyPem: auditKey.publicKeyPem, checkpointer } };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Milliseconds spent in each step of a start (logged at debug level: where a slow start goes). */
function startupPhases() {
  const list: Record<string, number> = {};
  const began = performance.now();
  let last = began;
  return {
    mark(name: string) {
      const now = performance.now();
      list[name] = Math.round(now - last);
      last = now;
    },
    list: () => list,
    total: () => Math.round(last - began),
  };
}

function holdOverride(override: { maxWaitSeconds?: number; heartbeatSeconds?: number; pendingText?: string }) {
  return {
    ...(override.maxWaitSeconds !== undefined && { maxWaitMs: override.maxWaitSeconds * 1000 }),
    ...(override.heartbeatSeconds !== undefined && { heartbeatMs: override.heartbeatSeconds * 1000 }),
    ...(override.pendingText !== undefined && { pendingText: override.pendingText }),
  };
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}

async function ensureGrant(grants: GrantStore, name: string): Promise<Grant> {
  const existing = await grants.findByName(name);
  if (existing && !existing.revokedAt) return existing;
  return grants.upsertWithToken(name, generateToken());
}

async function settleEach<T>(items: ReadonlyMap<string, T>, run: (item: T) => Promise<unknown>) {
  const outcomes = await Promise.allSettled([...items.values()].map(run));
  return [...items.keys()].map((name, i) => [name, outcomes[i]!] as const);
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function formatHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

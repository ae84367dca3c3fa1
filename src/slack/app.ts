// The Slack side of approvals, composed: one Web API client, the notifier and directory built on it, and a
// Bolt App fed either by our express router (HTTP mode, /slack/events) or by Socket Mode (SLACK_APP_TOKEN).
import { App, SocketModeReceiver } from "@slack/bolt";
import express, { type Router } from "express";
import type { ApprovalService } from "../approvals/service-types.ts";
import type { ApprovalNotifier } from "../approvals/types.ts";
import type { AuditWriter } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { GatewayError } from "../errors.ts";
import type { Logger } from "../log/index.ts";
import { registerApprovalActions } from "./actions.ts";
import { createSlackClient, describeSlackError, toSlackLogger, type WebClient } from "./client.ts";
import { createSlackDirectory, type SlackDirectory } from "./directory.ts";
import { createSlackNotifier } from "./notifier.ts";
import { createHttpReceiver } from "./receiver.ts";

export interface SlackAppDeps {
  botToken: string;
  /** Required in HTTP mode. */
  signingSecret?: string;
  /** Socket Mode when set (xapp-…, scope connections:write). */
  appToken?: string;
  /** SLACK_API_URL: where the Web API lives (a local stand-in in tests). */
  apiUrl?: string;
  service: ApprovalService;
  database: Database;
  audit: AuditWriter;
  logger: Logger;
  onStale?: (approvalId: string) => void;
  /** Channel for approvals whose policy names none. */
  defaultChannel?: string | null;
  /** Share a client created earlier with createSlackClient (e.g. to build the service's isApprover first). */
  client?: WebClient;
  /** Share the directory given to the ApprovalService as `isApprover` (one membership cache). */
  directory?: SlackDirectory;
  directoryTtlMs?: number;
  /** How long start() waits for the first Socket Mode connection before carrying on. */
  socketStartTimeoutMs?: number;
  /** Audit refused votes here; pass false when the ApprovalService records `approval.vote_refused` itself. */
  auditRefusals?: boolean;
}

export interface SlackApp {
  /** Mount at /slack/events on the gateway's express app. Answers 404 in Socket Mode. */
  router: Router;
  notifier: ApprovalNotifier;
  directory: SlackDirectory;
  client: WebClient;
  mode: "http" | "socket";
  /** Checks the bot token (auth.test) and, in Socket Mode, connects. Slack being unreachable is logged, not fatal. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const FATAL_AUTH_ERRORS = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"]);

export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { logger } = deps;
  const mode = deps.appToken ? "socket" : "http";
  if (mode === "http" && !deps.signingSecret) {
    throw new GatewayError("config_invalid", "SLACK_SIGNING_SECRET is required to receive Slack clicks over HTTP (or set SLACK_APP_TOKEN for Socket Mode).");
  }
  const client = deps.client ?? createSlackClient({ botToken: deps.botToken, apiUrl: deps.apiUrl, logger });
  const slackLogger = toSlackLogger(logger);
  const httpReceiver = mode === "http" ? createHttpReceiver({ signingSecret: deps.signingSecret!, database: deps.database, logger }) : null;
  const receiver =
    httpReceiver ??
    new SocketModeReceiver({
      appToken: deps.appToken!,
      logger: slackLogger,
      // Socket Mode keeps its own client for apps.connections.open, with its own (generous) retries.
      installerOptions: { clientOptions: deps.apiUrl ? { slackApiUrl: deps.apiUrl } : {} },
    });

  let botIdentity: { botId?: string; botUserId?: string } = {};
  const app = new App({
    receiver,
    logger: slackLogger,
    // Single workspace: every request is served with our bot token; no per-request auth.test.
    authorize: async () => ({ botToken: deps.botToken, ...botIdentity }),
    ignoreSelf: false,
    convoStore: false,
  });
  app.error(async (error) => {
    logger.error({ err: error.message, code: error.code }, "Slack listener failed");
  });
  registerApprovalActions(app, { client, service: deps.service, audit: deps.audit, logger, onStale: deps.onStale, auditRefusals: deps.auditRefusals });

  const router = httpReceiver?.router ?? express.Router().use((_req, res) => void res.status(404).json({ error: "slack_socket_mode" }));
  let closing: Promise<void> | undefined;
  let isClosed = false;

  async function start(): Promise<void> {
    try {
      const identity = await client.auth.test();
      botIdentity = { ...(identity.bot_id ? { botId: identity.bot_id } : {}), ...(identity.user_id ? { botUserId: identity.user_id } : {}) };
      logger.info({ team: identity.team, bot: identity.user, mode }, "Slack connected");
    } catch (error) {
      const code = describeSlackError(error);
      if (FATAL_AUTH_ERRORS.has(code)) throw new GatewayError("config_invalid", `SLACK_BOT_TOKEN was refused by Slack (${code}).`, { cause: error });
      logger.warn({ err: code }, "Slack is unreachable; approvals stay pending until it answers (dashboard and CLI still work)");
    }
    if (mode === "http") return void (await receiver.start());
    // Wait a little for the first connection so a refused app token fails start-up; Slack being slow does not.
    const connecting = connectSocket(0);
    connecting.catch((error: unknown) => logger.error({ err: (error as Error).message }, "Slack Socket Mode stopped"));
    let timer: NodeJS.Timeout | undefined;
    const isStillConnecting = await Promise.race([
      connecting.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deps.socketStartTimeoutMs ?? 10_000))),
    ]).finally(() => clearTimeout(timer));
    if (isStillConnecting) logger.warn("Slack Socket Mode is still connecting; continuing start-up");
  }

  // Socket Mode reconnects by itself once connected; a first connection that fails is retried here.
  async function connectSocket(attempt: number): Promise<void> {
    if (isClosed) return;
    try {
      await receiver.start();
    } catch (error) {
      const code = describeSlackError(error);
      if (FATAL_AUTH_ERRORS.has(code)) throw new GatewayError("config_invalid", `SLACK_APP_TOKEN was refused by Slack (${code}).`, { cause: error });
      const delayMs = Math.min(60_000, 2_000 * 2 ** attempt);
      logger.warn({ err: code, retryInMs: delayMs }, "Slack Socket Mode could not connect; retrying");
      setTimeout(() => void connectSocket(attempt + 1).catch((e: unknown) => logger.error({ err: (e as Error).message }, "Slack Socket Mode stopped")), delayMs).unref();
    }
  }

  function close(): Promise<void> {
    isClosed = true;
    return (closing ??= receiver.stop().then(
      () => undefined,
      (error: unknown) => logger.warn({ err: describeSlackError(error) }, "closing Slack failed"),
    ));
  }

  return {
    router,
    notifier: createSlackNotifier({ client, defaultChannel: deps.defaultChannel ?? null }),
    directory: deps.directory ?? createSlackDirectory(client, { ttlMs: deps.directoryTtlMs }),
    client,
    mode,
    start,
    close,
  };
}

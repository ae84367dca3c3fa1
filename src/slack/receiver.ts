// Bolt receiver for HTTP mode, as an express router mounted on the gateway's own server at /slack/events.
// Order matters: raw body → signature and timestamp → replay (slack_requests, shared by every replica) →
// parse → hand to Bolt. Anything that fails verification gets 401 and touches nothing else.
import type { App, Receiver, ReceiverEvent } from "@slack/bolt";
import { lt, sql } from "drizzle-orm";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { slackRequests, type Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import { checkSlackSignature } from "./verify.ts";

export interface HttpReceiverOptions {
  signingSecret: string;
  database: Database;
  logger: Logger;
  now?: () => number;
  /** Acknowledge on the listener's behalf after this long; Slack gives up at 3 s. */
  ackTimeoutMs?: number;
}

export interface HttpReceiver extends Receiver {
  router: Router;
}

const PURGE_EVERY_MS = 60_000;

export function createHttpReceiver(options: HttpReceiverOptions): HttpReceiver {
  const { signingSecret, database, logger, now = Date.now, ackTimeoutMs = 2_500 } = options;
  let app: App | null = null;
  let isStopped = false;
  let lastPurgeMs = 0;

  const router = express.Router();
  router.post("/", express.raw({ type: "*/*", limit: "1mb" }), async (req, res) => {
    if (isStopped || !app) {
      res.status(503).json({ error: "slack_unavailable" });
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSlackSignature(
      signingSecret,
      { signature: req.header("x-slack-signature"), timestamp: req.header("x-slack-request-timestamp"), rawBody },
      now(),
    );
    if (!check.isValid) {
      logger.warn({ reason: check.reason }, "refused a Slack request");
      res.status(401).json({ error: check.reason });
      return;
    }
    const isFirstSeen = await rememberSignature(req.header("x-slack-signature") ?? "");
    if (isFirstSeen === null) {
      res.status(503).json({ error: "replay_check_unavailable" });
      return;
    }
    if (!isFirstSeen) {
      logger.warn("refused a replayed Slack request");
      res.status(401).json({ error: "replayed_request" });
      return;
    }
    const body = parseBody(req, rawBody);
    if (!body) {
      res.status(400).json({ error: "malformed_body" });
      return;
    }
    if (body.type === "url_verification") {
      res.json({ challenge: typeof body.challenge === "string" ? body.challenge : "" });
      return;
    }
    if (body.ssl_check !== undefined) {
      res.status(200).end();
      return;
    }
    await dispatch(app, body, req, res);
  });
  router.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = error.status ?? 500;
    res.status(status).json({ error: status === 413 ? "body_too_large" : status < 500 ? "bad_request" : "internal" });
  });

  /** true: first time; false: a replay; null: the database could not tell (fail closed). */
  async function rememberSignature(signature: string): Promise<boolean | null> {
    try {
      const inserted = await database.db
        .insert(slackRequests)
        .values({ signature })
        .onConflictDoNothing()
        .returning({ signature: slackRequests.signature });
      await purgeNowAndThen();
      return inserted.length === 1;
    } catch (error) {
      logger.error({ err: (error as Error).message }, "cannot check Slack request replay");
      return null;
    }
  }

  // Once a minute at most, so the table holds about ten minutes of requests; a failure only delays it.
  async function purgeNowAndThen(): Promise<void> {
    if (now() - lastPurgeMs < PURGE_EVERY_MS) return;
    lastPurgeMs = now();
    try {
      await database.db.delete(slackRequests).where(lt(slackRequests.receivedAt, sql`now() - interval '10 minutes'`));
    } catch (error) {
      logger.warn({ err: (error as Error).message }, "could not purge old Slack request signatures");
    }
  }

  async function dispatch(bolt: App, body: Record<string, unknown>, req: Request, res: Response): Promise<void> {
    let isAcked = false;
    const ack = async (response?: unknown): Promise<void> => {
      if (isAcked) return;
      isAcked = true;
      clearTimeout(timer);
      if (response === undefined || response === null || response === "") res.status(200).end();
      else if (typeof response === "string") res.status(200).type("text/plain").send(response);
      else res.status(200).json(response);
    };
    const timer = setTimeout(() => {
      logger.warn("a Slack listener did not acknowledge in time; acknowledged on its behalf");
      void ack();
    }, ackTimeoutMs);
    const retryNum = Number.parseInt(req.header("x-slack-retry-num") ?? "", 10);
    const event: ReceiverEvent = { body, ack, ...(Number.isNaN(retryNum) ? {} : { retryNum }) };
    const retryReason = req.header("x-slack-retry-reason");
    if (retryReason) event.retryReason = retryReason;
    try {
      await bolt.processEvent(event);
    } catch (error) {
      logger.error({ err: (error as Error).message }, "Slack event processing failed");
      if (!isAcked) {
        isAcked = true;
        res.status(500).json({ error: "internal" });
      }
    } finally {
      clearTimeout(timer);
      // Nothing listened (an event type we do not handle): acknowledge so Slack does not retry it.
      if (!isAcked) await ack();
    }
  }

  return {
    router,
    init(bolt: App) {
      app = bolt;
    },
    async start() {
      isStopped = false;
    },
    async stop() {
      isStopped = true;
    },
  };
}

function parseBody(req: Request, rawBody: Buffer): Record<string, unknown> | null {
  try {
    const text = rawBody.toString("utf8");
    if (req.is("application/x-www-form-urlencoded")) {
      const params = new URLSearchParams(text);
      const payload = params.get("payload");
      return asObject(payload === null ? Object.fromEntries(params) : JSON.parse(payload));
    }
    if (req.is("application/json")) return asObject(JSON.parse(text));
    return null;
  } catch {
    return null;
  }
}

function asObject(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

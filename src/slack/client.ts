// The Slack Web API client every Slack module shares. Retries are off on purpose: posting is retried by the
// BullMQ job with backoff, and a click's follow-up (modal, ephemeral) is useless seconds later anyway.
import { LogLevel, webApi, type Logger as SlackLogger } from "@slack/bolt";
import { redactText } from "../audit/index.ts";
import type { Logger } from "../log/index.ts";

export type WebClient = webApi.WebClient;
export type WebClientOptions = webApi.WebClientOptions;

export interface SlackClientOptions {
  botToken: string;
  /** `SLACK_API_URL`; Slack's own when absent. */
  apiUrl?: string;
  logger: Logger;
  timeoutMs?: number;
}

export function slackClientOptions(options: Omit<SlackClientOptions, "botToken">): WebClientOptions {
  return {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    logger: toSlackLogger(options.logger),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
  };
}

export function createSlackClient(options: SlackClientOptions): WebClient {
  return new webApi.WebClient(options.botToken, slackClientOptions(options));
}

/** Bolt and the Web API client log through our pino logger, redacted, under `component: "slack"`. */
export function toSlackLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: "slack" });
  let level: LogLevel = LogLevel.INFO;
  const line = (parts: unknown[]) => redactText(parts.map((part) => (typeof part === "string" ? part : part instanceof Error ? part.message : safeJson(part))).join(" "));
  return {
    debug: (...parts: unknown[]) => child.debug(line(parts)),
    info: (...parts: unknown[]) => child.info(line(parts)),
    warn: (...parts: unknown[]) => child.warn(line(parts)),
    error: (...parts: unknown[]) => child.error(line(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Slack's error code (`channel_not_found`, `ratelimited`, …) or the HTTP/network failure, for messages. */
export function describeSlackError(error: unknown): string {
  const data = (error as { data?: { error?: unknown } }).data;
  if (data && typeof data.error === "string") return data.error;
  return error instanceof Error ? error.message : String(error);
}

// What every tool handler gets and returns. Handlers answer with JSON text content; expected
// failures (unknown id, invalid state change) are `isError` results, never exceptions.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolArgs } from "../arguments.ts";
import type { AccountState, EmailAccount, EngagementMetrics } from "../state.ts";

export interface ToolContext {
  state: AccountState;
  /** Sends notifications/progress when the caller asked for it; a no-op otherwise. */
  reportProgress: (progress: number, total: number, message: string) => Promise<void>;
  /** Simulated latency between the items of a bulk or slow operation. */
  pauseBetweenSteps: () => Promise<void>;
  signal: AbortSignal;
}

export type ToolHandler = (args: ToolArgs, context: ToolContext) => CallToolResult | Promise<CallToolResult>;

export type ToolHandlers = Record<string, ToolHandler>;

export function ok(data: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(data, null, 2) }] };
}

export function fail(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

export function notFound(what: string, id: number | string): CallToolResult {
  return fail(`${what} ${id} not found`);
}

export function timestamp(state: AccountState): string {
  return state.now().toISOString();
}

/** An email account as the API shows it: credentials are never echoed back. */
export function emailAccountView(account: EmailAccount): Omit<EmailAccount, "password"> {
  const { password: _password, ...visible } = account;
  return visible;
}

export interface EngagementRates {
  open_rate: number;
  click_rate: number;
  reply_rate: number;
  positive_reply_rate: number;
  bounce_rate: number;
}

export function rates(metrics: EngagementMetrics): EngagementRates {
  const percent = (part: number) => (metrics.sent === 0 ? 0 : Math.round((part / metrics.sent) * 1000) / 10);
  return {
    open_rate: percent(metrics.opened),
    click_rate: percent(metrics.clicked),
    reply_rate: percent(metrics.replied),
    positive_reply_rate: percent(metrics.positive_replies),
    bounce_rate: percent(metrics.bounced),
  };
}

export function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

export function sumMetrics(all: EngagementMetrics[]): EngagementMetrics {
  const total: EngagementMetrics = { sent: 0, opened: 0, clicked: 0, replied: 0, positive_replies: 0, bounced: 0, unsubscribed: 0 };
  for (const metrics of all) {
    for (const key of Object.keys(total) as (keyof EngagementMetrics)[]) total[key] += metrics[key];
  }
  return total;
}

// Seeded engagement happened over these 30 days; date-range reports return the overlapping share.
const ACTIVITY_START = Date.parse("2025-01-06T00:00:00Z");
const ACTIVITY_DAYS = 30;
const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export type DateRange = { start: string; end: string; days: string[] };

/** Parses a YYYY-MM-DD range; a string result is the error message for the caller. */
export function parseDateRange(start: string, end: string): DateRange | string {
  if (!DATE.test(start) || Number.isNaN(Date.parse(start))) return `start_date must be YYYY-MM-DD, got "${start}"`;
  if (!DATE.test(end) || Number.isNaN(Date.parse(end))) return `end_date must be YYYY-MM-DD, got "${end}"`;
  const from = Date.parse(`${start}T00:00:00Z`);
  const to = Date.parse(`${end}T00:00:00Z`);
  if (from > to) return `start_date ${start} is after end_date ${end}`;
  if ((to - from) / DAY_MS > 366) return "date range longer than 366 days";
  const days: string[] = [];
  for (let day = from; day <= to; day += DAY_MS) days.push(new Date(day).toISOString().slice(0, 10));
  return { start, end, days };
}

/** The part of `metrics` that falls inside `range`, spread evenly over the seeded activity window. */
export function metricsInRange(metrics: EngagementMetrics, range: DateRange): EngagementMetrics {
  const activeDays = range.days.filter((day) => {
    const offset = (Date.parse(`${day}T00:00:00Z`) - ACTIVITY_START) / DAY_MS;
    return offset >= 0 && offset < ACTIVITY_DAYS;
  }).length;
  const share = activeDays / ACTIVITY_DAYS;
  const scaled = { ...metrics };
  for (const key of Object.keys(scaled) as (keyof EngagementMetrics)[]) scaled[key] = Math.round(metrics[key] * share);
  return scaled;
}

/** Per-day split of `metrics` over `range` (days outside the activity window are zero). */
export function metricsByDay(metrics: EngagementMetrics, range: DateRange): { date: string; metrics: EngagementMetrics }[] {
  return range.days.map((day) => ({ date: day, metrics: metricsInRange(metrics, { start: day, end: day, days: [day] }) }));
}

/** Optional date pair from args, defaulting to the whole activity window. */
export function optionalRange(start: string | undefined, end: string | undefined): DateRange | string {
  return parseDateRange(start ?? "2025-01-06", end ?? "2025-02-04");
}

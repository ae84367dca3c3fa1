// Reading `--since` / `--until` (CLI) and `?since=` / `?until=` (API). Times outside what a timestamp
// column can sensibly compare against (before the epoch, after year 9999, a calendar date that does not
// exist) are refused here as bad input, instead of reaching PostgreSQL and failing there.
import { InvalidAuditQueryError } from "./query-error.ts";

export const EARLIEST_QUERY_TIME = new Date("1970-01-01T00:00:00.000Z");
export const LATEST_QUERY_TIME = new Date("9999-12-31T23:59:59.999Z");

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^(\d+)\s*(s|m|h|d|w)$/;
// Date.parse alone accepts far too much ("1" is the year 2001) and rolls 2025-02-30 over to March.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;
const HINT = "use a duration such as 30m, 1h, 2d, 1w or an ISO date such as 2025-01-31T09:00:00Z";

/** "90s", "30m", "1h", "2d", "1w" before `now`, or an ISO-8601 date/time between 1970 and 9999. */
export function parseSince(input: string, now: Date): Date {
  const text = input.trim();
  const relative = RELATIVE.exec(text);
  if (relative) {
    const ms = Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    const at = new Date(now.getTime() - ms);
    if (!Number.isSafeInteger(ms) || !(at.getTime() >= EARLIEST_QUERY_TIME.getTime())) {
      throw new InvalidAuditQueryError(`"${input}" reaches back before 1970-01-01: ${HINT}.`);
    }
    return at;
  }
  const iso = ISO.exec(text);
  if (!iso) throw new InvalidAuditQueryError(`Cannot read "${input}" as a time: ${HINT}.`);
  const field = (group: number) => Number(iso[group] ?? 0);
  const [year, month, day] = [field(1), field(2), field(3)];
  const isCalendarDate = month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
  const isClockTime = field(4) <= 23 && field(5) <= 59 && field(6) <= 59 && field(8) <= 23 && field(9) <= 59;
  if (!isCalendarDate || !isClockTime) throw new InvalidAuditQueryError(`"${input}" is not a valid date and time: ${HINT}.`);
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new InvalidAuditQueryError(`Cannot read "${input}" as a time: ${HINT}.`);
  if (at < EARLIEST_QUERY_TIME || at > LATEST_QUERY_TIME) {
    throw new InvalidAuditQueryError(`"${input}" is out of range: times must fall between 1970-01-01 and 9999-12-31.`);
  }
  return at;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// Every quota key comes from here (Redis and SQL stores share them), so a counter's identity is
// defined once: upstream + counter name + scope + scope id + window size + fixed UTC window start.

export interface LimitSpec {
  counter: string;
  windowMs: number;
  max: number;
  scope: "grant" | "session" | "global";
  rule: string;
}

export interface QuotaRequest {
  key: string;
  max: number;
  /** Start of the fixed window in epoch ms; windows are aligned to the UTC epoch. */
  windowStart: number;
  windowMs: number;
  rule: string;
  counter: string;
}

export interface QuotaSubject {
  upstream: string;
  grant: string;
  session: string;
}

export function buildQuotaRequests(limits: readonly LimitSpec[], subject: QuotaSubject, now: number): QuotaRequest[] {
  const byKey = new Map<string, QuotaRequest>();
  for (const limit of limits) {
    const scopeId = limit.scope === "grant" ? subject.grant : limit.scope === "session" ? subject.session : "*";
    const windowStart = Math.floor(now / limit.windowMs) * limit.windowMs;
    const key = ["gatehouse", "rl", subject.upstream, limit.counter, limit.scope, scopeId, limit.windowMs, windowStart]
      .map((part) => encodeURIComponent(String(part)))
      .join(":");
    const existing = byKey.get(key);
    // Limits naming the same counter share one count; the strictest max applies.
    if (!existing || limit.max < existing.max) {
      byKey.set(key, { key, max: limit.max, windowStart, windowMs: limit.windowMs, rule: limit.rule, counter: limit.counter });
    }
  }
  return [...byKey.values()];
}

export function retryAfterSeconds(request: QuotaRequest, now: number): number {
  return Math.max(1, Math.ceil((request.windowStart + request.windowMs - now) / 1000));
}

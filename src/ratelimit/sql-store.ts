// Quota counters in Postgres. Each counter is one row per fixed window; the conditional upsert only
// increments below the max, and the whole reservation is one transaction (all or nothing).
import type { Database } from "../db/index.ts";
import { GatewayError } from "../errors.ts";
import { retryAfterSeconds, type QuotaRequest } from "./keys.ts";
import { NO_RESERVATION, type QuotaStore } from "./store.ts";

const RESERVE_SQL = `
  INSERT INTO rate_counters (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
  ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
  WHERE rate_counters.count < $4
  RETURNING count`;

export function createSqlQuotaStore(database: Database): QuotaStore {
  let lastSweep = 0;

  async function sweepExpired(now: number): Promise<void> {
    if (now - lastSweep < 60_000) return;
    lastSweep = now;
    await database.pool.query("DELETE FROM rate_counters WHERE expires_at < $1", [now]).catch(() => {});
  }

  return {
    kind: "sql",
    async reserve(requests, now) {
      if (requests.length === 0) return { ok: true, reservation: NO_RESERVATION };
      const client = await database.pool.connect().catch((cause: unknown) => {
        throw new GatewayError("ratelimit_unavailable", "Rate-limit store (Postgres) is unreachable", { cause, retryable: true });
      });
      let exceeded: QuotaRequest | undefined;
      try {
        await client.query("BEGIN");
        for (const request of requests) {
          const expiresAt = request.windowStart + request.windowMs;
          const result = await client.query(RESERVE_SQL, [request.key, request.windowStart, expiresAt, request.max]);
          if (result.rowCount === 0) {
            exceeded = request;
            break;
          }
        }
        await client.query(exceeded ? "ROLLBACK" : "COMMIT");
      } catch (cause) {
        await client.query("ROLLBACK").catch(() => {});
        throw new GatewayError("ratelimit_unavailable", "Rate-limit store (Postgres) failed", { cause, retryable: true });
      } finally {
        client.release();
      }
      void sweepExpired(now);
      if (exceeded) return { ok: false, exceeded, retryAfterSeconds: retryAfterSeconds(exceeded, now) };
      return { ok: true, reservation: { requests } };
    },

    async release(reservation) {
      for (const request of reservation.requests) {
        await database.pool.query(
          "UPDATE rate_counters SET count = count - 1 WHERE key = $1 AND window_start = $2 AND count > 0",
          [request.key, request.windowStart],
        );
      }
    },

    async close() {},
  };
}

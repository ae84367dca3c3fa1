// Quota counters in Redis: one Lua script checks every counter and increments them all, or none.
import type { Redis } from "ioredis";
import { GatewayError } from "../errors.ts";
import { retryAfterSeconds } from "./keys.ts";
import { NO_RESERVATION, type QuotaStore } from "./store.ts";

// KEYS = counters; ARGV = max_1..max_n, ttl_ms_1..ttl_ms_n. Returns 0 when reserved, else the
// 1-based index of the first counter at its max.
const RESERVE_SCRIPT = `
local n = #KEYS
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current >= tonumber(ARGV[i]) then return i end
end
for i = 1, n do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[n + i])
end
return 0`;

const RELEASE_SCRIPT = `
for i = 1, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current > 0 then redis.call('DECR', KEYS[i]) end
end
return 0`;

export function createRedisQuotaStore(redis: Redis): QuotaStore {
  return {
    kind: "redis",
    async reserve(requests, now) {
      if (requests.length === 0) return { ok: true, reservation: NO_RESERVATION };
      const keys = requests.map((r) => r.key);
      const maxes = requests.map((r) => String(r.max));
      // Keep each counter a little past its window so a late release still finds it.
      const ttls = requests.map((r) => String(r.windowStart + r.windowMs - now + 5_000));
      let outcome: unknown;
      try {
        outcome = await redis.eval(RESERVE_SCRIPT, keys.length, ...keys, ...maxes, ...ttls);
      } catch (cause) {
        throw new GatewayError("ratelimit_unavailable", "Rate-limit store (Redis) is unreachable", { cause, retryable: true });
      }
      const index = Number(outcome);
      const exceeded = index > 0 ? requests[index - 1] : undefined;
      if (exceeded) return { ok: false, exceeded, retryAfterSeconds: retryAfterSeconds(exceeded, now) };
      return { ok: true, reservation: { requests } };
    },

    async release(reservation) {
      if (reservation.requests.length === 0) return;
      const keys = reservation.requests.map((r) => r.key);
      await redis.eval(RELEASE_SCRIPT, keys.length, ...keys);
    },

    async close() {},
  };
}

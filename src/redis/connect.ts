// Redis for scale-out mode. BullMQ silently loses jobs when Redis evicts keys, so start-up refuses a
// server whose maxmemory-policy is not noeviction.
import { Redis } from "ioredis";
import { GatewayError } from "../errors.ts";

export interface RedisConnection {
  redis: Redis;
  close(): Promise<void>;
}

export async function connectRedis(url: string, options: { keyPrefix?: string } = {}): Promise<RedisConnection> {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
  });
  // Reconnection is ioredis' job; an error event must not crash the process.
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    throw new GatewayError("storage_unavailable", `Cannot connect to Redis at ${redactUrl(url)}: ${(cause as Error).message}`, { cause });
  }
  const policy = await readEvictionPolicy(redis);
  if (policy !== "noeviction") {
    redis.disconnect();
    throw new GatewayError(
      "redis_misconfigured",
      `Redis at ${redactUrl(url)} has maxmemory-policy "${policy}". Gatehouse needs "noeviction" (BullMQ loses jobs otherwise). ` +
        `Fix: run \`redis-cli CONFIG SET maxmemory-policy noeviction\` and set "maxmemory-policy noeviction" in redis.conf.`,
    );
  }
  let closing: Promise<void> | undefined;
  return {
    redis,
    close: () =>
      (closing ??= redis
        .quit()
        .then(() => {})
        .catch(() => redis.disconnect())),
  };
}

async function readEvictionPolicy(redis: Redis): Promise<string> {
  const info = await redis.info("memory");
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  return match?.[1] ?? "unknown";
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<invalid url>";
  }
}

export { connectRedis, redactUrl, type RedisConnection } from "./connect.ts";

// Logs go to stderr as JSON lines: stdout belongs to the MCP stdio transport in `gatehouse stdio`.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino(
    {
      level,
      base: { service: "gatehouse" },
      redact: { paths: ["token", "*.token", "headers.authorization", "*.headers.authorization"], censor: "[REDACTED]" },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

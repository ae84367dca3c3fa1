// Logs are JSON lines on stderr: stdout belongs to the MCP stdio transport in `gatehouse stdio`. Every
// tool call writes one info line ("tool call": call id, grant, upstream, tool, decision, outcome,
// duration; never arguments or results).
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = process.env.LOG_LEVEL ?? "info", destination: DestinationStream = pino.destination({ fd: 2, sync: false })): Logger {
  return pino(
    {
      level,
      base: { service: "gatehouse" },
      redact: { paths: ["token", "*.token", "headers.authorization", "*.headers.authorization"], censor: "[REDACTED]" },
    },
    destination,
  );
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

// Prometheus metrics, one registry per gateway instance (tests run several in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  toolCalls: Counter<"upstream" | "decision" | "outcome">;
  callDuration: Histogram<"upstream" | "decision">;
  upstreamUp: Gauge<"upstream">;
  policyReloads: Counter<"upstream" | "result">;
}

export function createMetrics(options: { collectDefault?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.collectDefault) collectDefaultMetrics({ register: registry, prefix: "gatehouse_" });
  return {
    registry,
    toolCalls: new Counter({
      name: "gatehouse_tool_calls_total",
      help: "Tool calls by policy decision and outcome",
      labelNames: ["upstream", "decision", "outcome"],
      registers: [registry],
    }),
    callDuration: new Histogram({
      name: "gatehouse_tool_call_duration_seconds",
      help: "Time from request to reply, gateway overhead included",
      labelNames: ["upstream", "decision"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    upstreamUp: new Gauge({
      name: "gatehouse_upstream_up",
      help: "1 when the upstream connection is ready",
      labelNames: ["upstream"],
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: "gatehouse_policy_reloads_total",
      help: "Policy file reloads by result",
      labelNames: ["upstream", "result"],
      registers: [registry],
    }),
  };
}

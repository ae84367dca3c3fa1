// The gateway's Prometheus series, one registry per gateway instance (tests run several in one process).
// Labels stay bounded: upstream names come from the config; decisions, outcomes, channels and error kinds
// are closed lists. Grants, tools and call ids are never labels (there can be many): logs and the audit
// history answer per-grant and per-tool questions. docs/operations.md lists every series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { createScrapeReaders, type ScrapeSources } from "./scrape.ts";

/** How a decided approval was decided: where the deciding vote came from, or what ended it. */
export type DecisionChannel = "slack" | "api" | "cli" | "dashboard" | "timeout" | "agent" | "revoked";

/** What went wrong talking to an upstream (kinds of `gatehouse_upstream_errors_total`). */
export type UpstreamErrorKind = "unavailable" | "error_result" | "rejected" | "outcome_unknown";

export interface Metrics {
  registry: Registry;
  toolCalls: Counter<"upstream" | "decision" | "outcome">;
  /** Calls answered without waiting for people: the gateway's latency, allowed calls included. */
  callDuration: Histogram<"upstream" | "decision">;
  /** Requests of calls sent to review, from request to reply (result, refusal, pending answer or task). */
  heldCallDuration: Histogram<"upstream" | "outcome">;
  upstreamUp: Gauge<"upstream">;
  upstreamErrors: Counter<"upstream" | "kind">;
  policyReloads: Counter<"upstream" | "result">;
  approvalDecisions: Counter<"outcome" | "channel">;
  timeToDecision: Histogram<"outcome" | "channel">;
  auditCommitLag: Histogram;
  auditWriteFailures: Counter;
  /** What the audit writer reports about each entry (its `observer`). */
  auditWrites: { committed(waitedSeconds: number): void; failed(entries: number): void };
  /** Attaches what is read at scrape time (pending approvals, the audit backlog) once the gateway has it. */
  readAtScrape(sources: ScrapeSources): void;
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// A held request lasts up to max_wait (45 s by default, minutes when configured so).
const HOLD_SECONDS = [0.05, 0.25, 1, 5, 10, 30, 45, 60, 120, 300, 600, 1800];
// People answer in seconds to hours; approval timeouts are minutes to a day.
const DECISION_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];
const COMMIT_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

export function createMetrics(options: { collectDefault?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // Standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, …): dashboards and alerts
  // written for any Node service work unchanged.
  if (options.collectDefault) collectDefaultMetrics({ register: registry });
  const scrape = createScrapeReaders(registers);
  const auditCommitLag = new Histogram({
    name: "gatehouse_audit_commit_lag_seconds",
    help: "Time from recording an audit entry to its transaction committing",
    buckets: COMMIT_SECONDS,
    registers,
  });
  const auditWriteFailures = new Counter({
    name: "gatehouse_audit_write_failures_total",
    help: "Audit entries that could not be committed (transaction failed, or buffer full)",
    registers,
  });
  return {
    registry,
    toolCalls: new Counter({
      name: "gatehouse_tool_calls_total",
      help: "Tool calls to upstreams, by policy decision and how the call's request ended",
      labelNames: ["upstream", "decision", "outcome"],
      registers,
    }),
    callDuration: new Histogram({
      name: "gatehouse_tool_call_duration_seconds",
      help: "Time from request to reply of calls answered without a human review (allowed, denied, rate-limited, hidden)",
      labelNames: ["upstream", "decision"],
      buckets: SECONDS,
      registers,
    }),
    heldCallDuration: new Histogram({
      name: "gatehouse_held_call_duration_seconds",
      help: "Time from request to reply of calls sent to human review, by how the request ended",
      labelNames: ["upstream", "outcome"],
      buckets: HOLD_SECONDS,
      registers,
    }),
    upstreamUp: new Gauge({
      name: "gatehouse_upstream_up",
      help: "1 when the upstream connection is ready",
      labelNames: ["upstream"],
      registers,
    }),
    upstreamErrors: new Counter({
      name: "gatehouse_upstream_errors_total",
      help: "Forwarded calls that did not succeed, by upstream and kind (unavailable, error_result, rejected, outcome_unknown)",
      labelNames: ["upstream", "kind"],
      registers,
    }),
    policyReloads: new Counter({
      name: "gatehouse_policy_reloads_total",
      help: "Policy file reloads by result",
      labelNames: ["upstream", "result"],
      registers,
    }),
    approvalDecisions: new Counter({
      name: "gatehouse_approval_decisions_total",
      help: "Approval requests that stopped pending, by outcome and by channel that decided them",
      labelNames: ["outcome", "channel"],
      registers,
    }),
    timeToDecision: new Histogram({
      name: "gatehouse_approval_decision_seconds",
      help: "Time from the approval request to its decision (approved, denied, expired, cancelled)",
      labelNames: ["outcome", "channel"],
      buckets: DECISION_SECONDS,
      registers,
    }),
    auditCommitLag,
    auditWriteFailures,
    auditWrites: {
      committed: (waitedSeconds) => auditCommitLag.observe(waitedSeconds),
      failed: (entries) => auditWriteFailures.inc(entries),
    },
    readAtScrape: scrape.attach,
  };
}

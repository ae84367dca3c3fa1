// One report per tool call, filled in along the call's path and closed once, when its request ends: one
// structured info log line and the call's metrics. The line names the call, never its arguments, results
// or error texts (those can echo arguments; the audit history keeps them redacted). A call sent to review
// is reported when its request ends however long it was held, and its time goes to the held-call series,
// so the latency of calls answered at once stays clean. Synchronous: nothing here delays a reply.
import { randomUUID } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { META_PREFIX } from "./results.ts";

export interface CallReport {
  callId: string;
  startedAt: number;
  grant: string;
  sessionId: string;
  client: string | null;
  /** Set once the tool is known to exist upstream; calls without one are logged but not counted. */
  upstream: string | null;
  tool: string;
  /** The policy's decision kind; "unknown_tool" and "gateway_tool" (Gatehouse's own tools) otherwise. */
  decision: string | null;
  rule: string | null;
  /** How the request ended: succeeded, failed, outcome_unknown, refused, rate_limited, error, or for held calls the approval's state. */
  outcome: string | null;
  isHeld: boolean;
  approvalId: string | null;
  /** The stable error code the agent was given, when there was one. */
  code: string | null;
}

export interface CallReporter {
  open(caller: { grant: { name: string }; sessionId: string; client?: { name: string } | null }, tool: string): CallReport;
  close(report: CallReport): void;
}

export function createCallReporter(deps: { logger: Logger; metrics: Metrics }): CallReporter {
  const { logger, metrics } = deps;
  return {
    open(caller, tool) {
      return {
        callId: randomUUID(),
        startedAt: performance.now(),
        grant: caller.grant.name,
        sessionId: caller.sessionId,
        client: caller.client?.name ?? null,
        upstream: null,
        tool,
        decision: null,
        rule: null,
        outcome: null,
        isHeld: false,
        approvalId: null,
        code: null,
      };
    },
    close(report) {
      const seconds = (performance.now() - report.startedAt) / 1000;
      const outcome = report.outcome ?? "error";
      const decision = report.decision ?? "none";
      if (report.upstream !== null) {
        metrics.toolCalls.inc({ upstream: report.upstream, decision, outcome });
        if (report.isHeld) metrics.heldCallDuration.observe({ upstream: report.upstream, outcome }, seconds);
        else metrics.callDuration.observe({ upstream: report.upstream, decision }, seconds);
      }
      logger.info(
        {
          callId: report.callId,
          grant: report.grant,
          session: report.sessionId,
          client: report.client,
          upstream: report.upstream,
          tool: report.tool,
          decision,
          rule: report.rule,
          outcome,
          durationMs: Math.round(seconds * 10_000) / 10,
          ...(report.isHeld || report.approvalId ? { approvalId: report.approvalId } : {}),
          ...(report.code ? { code: report.code } : {}),
        },
        "tool call",
      );
    },
  };
}

/**
 * How the request of a held call ended, read from its reply: the approval's state when it ended
 * (succeeded, denied, expired, …), "pending" when the agent got the pending answer (the approval is still
 * open), "task" when it got an MCP task, "error" when no approval could be opened.
 */
export function readHeldReply(reply: CallToolResult | { task: unknown }): { outcome: string; approvalId: string | null; code: string | null } {
  if ("task" in reply) return { outcome: "task", approvalId: null, code: null };
  const meta = reply._meta ?? {};
  const status = meta[`${META_PREFIX}approval_status`];
  const approvalId = meta[`${META_PREFIX}approval_id`];
  const code = meta[`${META_PREFIX}code`];
  return {
    outcome: typeof status !== "string" ? "error" : meta[`${META_PREFIX}call_again`] === true ? "pending" : status,
    approvalId: typeof approvalId === "string" ? approvalId : null,
    code: typeof code === "string" ? code : null,
  };
}

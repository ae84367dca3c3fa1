// The path of one tool call (DESIGN §2): resolve → evaluate policy (pure) → reserve quota → audit the
// decision → forward → release quota on failure → audit the outcome. No call reaches an upstream
// before its decision row is committed, so a crash never hides an executed call.
import { ErrorCode, McpError, type CallToolResult, type Progress, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { CreateTaskResult } from "@modelcontextprotocol/sdk/experimental/tasks/types.js";
import type { Approval } from "../approvals/types.ts";
import type { AuditEntry, AuditWriter } from "../audit/index.ts";
import { redactArguments, redactText, summarizeResult } from "../audit/index.ts";
import { isGatewayError, toWireMessage } from "../errors.ts";
import type { Grant } from "../grants/index.ts";
import type { Logger } from "../log/index.ts";
import type { Metrics, UpstreamErrorKind } from "../metrics/index.ts";
import type { Decision } from "../policy/index.ts";
import { evaluate, isListed } from "../policy/index.ts";
import { buildQuotaRequests, NO_RESERVATION, type QuotaStore, type Reservation } from "../ratelimit/index.ts";
import { createCallReporter, readHeldReply } from "./call-report.ts";
import type { ToolNaming } from "./naming.ts";
import type { PolicySource } from "./policies.ts";
import { describeWindow, META_PREFIX, refusal } from "./results.ts";
import type { Origin } from "./origin.ts";
import { createRelay, type Relay } from "./relay/index.ts";
import type { UpstreamConnection } from "./upstream.ts";

export interface CallerContext {
  grant: Grant;
  sessionId: string;
  /** What the client said it is (`clientInfo`); hold settings can depend on it. */
  client?: { name: string; version: string } | null;
}

export interface CallExtra {
  /** Aborted when the agent cancels the call: it no longer wants it. */
  signal?: AbortSignal;
  /** Aborted when nobody can receive the answer any more (connection dropped, client gave up): not a cancel. */
  detached?: AbortSignal;
  onprogress?: (progress: Progress) => void;
  /** The agent request this call is; what the upstream asks while running it is routed back there. */
  origin?: Origin;
  /** Present when the client asked for an MCP task: answers the held call with a task at once. */
  createTask?: (approval: Approval) => Promise<CreateTaskResult>;
}

/** A tool the gateway itself provides (e.g. gatehouse_approval_status), listed for every grant. */
export interface GatewayTool {
  definition: Tool;
  call(context: CallerContext, args: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult>;
}

/** Decides what to do with a call the policy sends to review (the approval flow implements it). */
export type ApprovalHandler = (call: PendingCall, extra: CallExtra) => Promise<CallToolResult | CreateTaskResult>;

/** A tool result, or a task standing for one (task-augmented calls that are held). */
export type CallOutcome = CallToolResult | CreateTaskResult;

export interface PendingCall {
  callId: string;
  context: CallerContext;
  upstream: UpstreamConnection;
  tool: string;
  exposedName: string;
  /** Gives back the quota reserved for this call (denied, expired, cancelled, failed). Idempotent. */
  releaseQuota(): Promise<void>;
  /** What was reserved, so whichever process ends the approval can give it back. */
  reservation: Reservation;
  args: Record<string, unknown>;
  decision: Extract<Decision, { kind: "require_approval" }>;
  argsHash: string;
  argsRedacted: unknown;
}

export interface GatewayDeps {
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  policies: PolicySource;
  naming: ToolNaming;
  quota: QuotaStore;
  audit: AuditWriter;
  logger: Logger;
  metrics: Metrics;
  approvals?: ApprovalHandler;
  tools?: readonly GatewayTool[];
  now?: () => Date;
}

export interface Gateway {
  listTools(context: CallerContext): Promise<Tool[]>;
  callTool(context: CallerContext, name: string, args: Record<string, unknown>, extra?: CallExtra): Promise<CallOutcome>;
  /** Everything besides tools: resources, prompts, completions, logging, and the upstreams' own requests. */
  relay: Relay;
}

export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? (() => new Date());

  const ownTools = new Map((deps.tools ?? []).map((t) => [t.definition.name, t] as const));
  const reporter = createCallReporter({ logger: deps.logger, metrics: deps.metrics });

  async function listTools(context: CallerContext): Promise<Tool[]> {
    const listed: Tool[] = [...ownTools.values()].map((t) => t.definition);
    for (const upstream of deps.upstreams.values()) {
      const policy = deps.policies.current(upstream.name);
      if (!policy) continue; // fail closed: no policy, nothing callable, nothing listed
      let tools: Tool[] | null;
      try {
        // A down upstream shows its last known tools (calls then fail clearly) rather than stalling the list.
        tools = upstream.status().state === "ready" ? await upstream.listTools() : upstream.cachedTools();
      } catch (error) {
        deps.logger.warn({ upstream: upstream.name, err: (error as Error).message }, "tools/list failed; upstream omitted");
        continue;
      }
      if (!tools) continue;
      for (const tool of tools) {
        if (!isListed(policy, tool.name, factsGrant(context.grant))) continue;
        listed.push({ ...tool, name: deps.naming.exposedName(upstream.name, tool.name) });
      }
    }
    return listed;
  }

  async function callTool(
    context: CallerContext,
    name: string,
    args: Record<string, unknown>,
    extra: CallExtra = {},
  ): Promise<CallOutcome> {
    const report = reporter.open(context, name);
    const { callId } = report;
    // One try around the whole path: every call is reported exactly once, when its request ends.
    try {
      const own = ownTools.get(name);
      if (own) {
        report.decision = "gateway_tool";
        return heldReply(await own.call(context, args, extra));
      }
      const route = deps.naming.resolve(name);
      const upstream = route ? deps.upstreams.get(route.upstream) : undefined;
      if (!route || !upstream || (await isUnknownTool(upstream, route.tool))) {
        report.decision = "unknown_tool";
        return refuseUnknown();
      }
      report.upstream = upstream.name;
      report.tool = route.tool;

      const { redacted, hash } = redactArguments(args);
      const base = {
        callId,
        grant: context.grant.name,
        sessionId: context.sessionId,
        upstream: upstream.name,
        tool: route.tool,
        argsRedacted: redacted,
        argsHash: hash,
        client: context.client ?? null,
      };
      const policy = deps.policies.current(upstream.name);
      const decision: Decision = policy
        ? evaluate(policy, { tool: route.tool, args, grant: factsGrant(context.grant), session: { id: context.sessionId } }, now())
        : { kind: "deny", rule: null, reason: `No valid policy is loaded for upstream "${upstream.name}"; every call to it is denied.` };
      report.decision = decision.kind;
      report.rule = decision.rule;

      if (decision.kind === "hide") {
        // Audited as hidden, answered exactly like a tool that does not exist: the agent learns nothing.
        await deps.audit.record(entry(base, { type: "call.hidden", decision: "hide", rule: decision.rule, reason: decision.reason, status: "refused" }));
        return refuseUnknown();
      }
      if (decision.kind === "deny") {
        await deps.audit.record(entry(base, { type: "call.denied", decision: "deny", rule: decision.rule, reason: decision.reason, status: "refused" }));
        return finish(refusal(decision.reason, { decision: "deny", rule: decision.rule, callId }), "refused");
      }

      const reserved = await reserveQuota(decision, base);
      if (!reserved.ok) return finish(reserved.result, reserved.outcome);

      if (decision.kind === "require_approval") {
        if (!deps.approvals) {
          await releaseQuota(reserved.reservation);
          const reason = `${name} requires human approval (rule ${decision.rule ?? "default"}), but approvals are not enabled on this gateway.`;
          await deps.audit.record(entry(base, { type: "call.denied", decision: "require_approval", rule: decision.rule, reason, status: "refused" }));
          return finish(refusal(reason, { decision: "require_approval", rule: decision.rule, callId }), "refused");
        }
        let isReleased = false;
        const releaseOnce = async () => {
          if (isReleased) return;
          isReleased = true;
          await releaseQuota(reserved.reservation);
        };
        const pending: PendingCall = { callId, context, upstream, tool: route.tool, exposedName: name, releaseQuota: releaseOnce, reservation: reserved.reservation, args, decision, argsHash: hash, argsRedacted: redacted };
        report.isHeld = true;
        const { createTask } = extra;
        // A task reply does not name its approval: take it from the approval the task is created for.
        const held = createTask
          ? {
              ...extra,
              createTask: (approval: Approval) => {
                report.approvalId = approval.id;
                return createTask(approval);
              },
            }
          : extra;
        return heldReply(await deps.approvals(pending, held));
      }

      try {
        await deps.audit.record(entry(base, { type: "call.allowed", decision: "allow", rule: decision.rule, reason: decision.reason, status: "forwarded" }));
      } catch (error) {
        await releaseQuota(reserved.reservation);
        deps.logger.error({ callId, err: (error as Error).message }, "could not audit an allowed call; refused it");
        return finish(refusal("Call refused: Gatehouse's audit log is unavailable, so the call cannot be recorded. Nothing was run; try again shortly.", { decision: "error", rule: null, callId, code: "audit_unavailable" }), "error");
      }
      const forwarded = await forward(upstream, route.tool, args, extra, callId);
      const { result, outcome, error } = forwarded;
      if (forwarded.errorKind) deps.metrics.upstreamErrors.inc({ upstream: upstream.name, kind: forwarded.errorKind });
      // A call that may have run keeps its quota, like one that did.
      if (outcome === "failed") await releaseQuota(reserved.reservation);
      const durationMs = Math.round(performance.now() - report.startedAt);
      const status = outcome === "unknown" ? "outcome_unknown" : outcome;
      // The decision row is already committed; the outcome row is written in the background, with the
      // next decision's commit when one comes soon.
      deps.audit
        .recordLater(entry(base, { type: `call.${status}`, decision: "allow", rule: decision.rule, reason: decision.reason, status, durationMs, error, data: outcome === "unknown" ? {} : { result: summarizeResult(result) } }))
        .catch((e: unknown) => deps.logger.error({ callId, err: (e as Error).message }, "could not record call outcome"));
      return finish(result, status);
    } catch (error) {
      report.outcome ??= "error";
      throw error;
    } finally {
      reporter.close(report);
    }

    function finish<T extends CallOutcome>(result: T, outcome: string): T {
      report.outcome = outcome;
      const code = "_meta" in result ? result._meta?.[`${META_PREFIX}code`] : undefined;
      if (typeof code === "string") report.code = code;
      return result;
    }
    function heldReply<T extends CallOutcome>(reply: T): T {
      const read = readHeldReply(reply);
      report.outcome = read.outcome;
      report.approvalId = read.approvalId ?? report.approvalId;
      report.code = read.code;
      return reply;
    }
    function refuseUnknown(): never {
      report.outcome = "refused";
      throw unknownTool(name);
    }
  }

  async function reserveQuota(
    decision: Extract<Decision, { kind: "allow" | "require_approval" }>,
    base: CallBase,
  ): Promise<{ ok: true; reservation: Reservation } | { ok: false; result: CallToolResult; outcome: "rate_limited" | "error" }> {
    if (decision.limits.length === 0) return { ok: true, reservation: NO_RESERVATION };
    const at = now().getTime();
    const requests = buildQuotaRequests(decision.limits, { upstream: base.upstream, grant: base.grant, session: base.sessionId }, at);
    let outcome;
    try {
      outcome = await deps.quota.reserve(requests, at);
    } catch (error) {
      const reason = `Call refused: rate limits cannot be checked (${toWireMessage(error).message}); failing closed.`;
      await deps.audit.record(entry(base, { type: "call.denied", decision: "deny", rule: null, reason, status: "refused" })).catch(() => {});
      return { ok: false, outcome: "error", result: refusal(reason, { decision: "error", rule: null, callId: base.callId, code: isGatewayError(error) ? error.code : "internal" }) };
    }
    if (outcome.ok) return outcome;
    const { exceeded, retryAfterSeconds } = outcome;
    const reason = `Rate limit exceeded: counter "${exceeded.counter}" allows ${exceeded.max} call(s) per ${describeWindow(exceeded.windowMs)}. Retry in ${retryAfterSeconds} s.`;
    await deps.audit.record(entry(base, { type: "call.rate_limited", decision: "rate_limited", rule: exceeded.rule, reason, status: "refused", data: { retryAfterSeconds } }));
    return { ok: false, outcome: "rate_limited", result: refusal(reason, { decision: "rate_limited", rule: exceeded.rule, callId: base.callId, retryAfterSeconds }) };
  }

  async function releaseQuota(reservation: Reservation): Promise<void> {
    await deps.quota.release(reservation).catch((e: unknown) => deps.logger.warn({ err: (e as Error).message }, "quota release failed"));
  }

  const relay = createRelay({ upstreams: deps.upstreams, policies: deps.policies, naming: deps.naming, audit: deps.audit, logger: deps.logger });
  return { listTools, callTool, relay };
}

type CallBase = {
  callId: string;
  grant: string;
  sessionId: string;
  upstream: string;
  tool: string;
  argsRedacted: unknown;
  argsHash: string;
  client: { name: string; version: string } | null;
};

/** How a forwarded call ended: `unknown` when it was sent but no answer came back, so it may have run. */
export type ForwardOutcome = "succeeded" | "failed" | "unknown";

export interface Forwarded {
  result: CallToolResult;
  outcome: ForwardOutcome;
  /** The upstream's error text (failed) or why there is no answer (unknown); null when it succeeded. */
  error: string | null;
  /** What went wrong on the upstream's side, for metrics; null when it succeeded or the agent cancelled before sending. */
  errorKind: UpstreamErrorKind | null;
}

export async function forward(
  upstream: UpstreamConnection,
  tool: string,
  args: Record<string, unknown>,
  extra: CallExtra,
  callId: string,
): Promise<Forwarded> {
  try {
    const result = await upstream.callTool(tool, args, { signal: extra.signal, onprogress: extra.onprogress, origin: extra.origin ?? null });
    return result.isError
      ? { result, outcome: "failed", error: firstText(result), errorKind: "error_result" }
      : { result, outcome: "succeeded", error: null, errorKind: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isGatewayError(error) && error.code === "upstream_outcome_unknown") {
      const text = `${message}. The call to ${tool} was sent, so it may or may not have run; Gatehouse does not retry it. Check its effect before calling it again.`;
      return { result: refusal(text, { decision: "error", rule: null, callId, code: error.code }), outcome: "unknown", error: message, errorKind: "outcome_unknown" };
    }
    const text = `Upstream "${upstream.name}" failed to run ${tool}: ${message}`;
    const errorKind = isGatewayError(error) && error.code === "upstream_unavailable" ? "unavailable" : isAbort(error) ? null : "rejected";
    return { result: refusal(text, { decision: "error", rule: null, callId, code: isGatewayError(error) ? error.code : "upstream_failed" }), outcome: "failed", error: message, errorKind };
  }
}

/** The one answer to a tool the agent may not know about, whether it is missing or hidden by policy. */
function unknownTool(name: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
}

/** True only when the upstream's tool list is known and lacks the tool; an unreachable upstream is judged later. */
async function isUnknownTool(upstream: UpstreamConnection, tool: string): Promise<boolean> {
  // A down upstream is not waited for here: a denied call must not hang on it.
  if (upstream.status().state !== "ready") {
    const known = upstream.cachedTools();
    return known !== null && !known.some((t) => t.name === tool);
  }
  try {
    return !(await upstream.listTools()).some((t) => t.name === tool);
  } catch {
    return false;
  }
}

/** The agent cancelled before the call was sent: not the upstream's failure. */
function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

function firstText(result: CallToolResult): string | null {
  const first = result.content.find((c) => c.type === "text");
  return first && first.type === "text" ? first.text.slice(0, 2000) : null;
}

function factsGrant(grant: Grant) {
  return { name: grant.name, owner: grant.owner, labels: grant.labels };
}

function entry(
  base: CallBase,
  e: {
    type: string;
    decision: string;
    rule: string | null;
    reason: string | null;
    status: string;
    durationMs?: number;
    error?: string | null;
    data?: Record<string, unknown>;
  },
): AuditEntry {
  const at = new Date();
  return {
    event: {
      type: e.type,
      actor: `grant:${base.grant}`,
      callId: base.callId,
      upstream: base.upstream,
      tool: base.tool,
      decision: e.decision,
      rule: e.rule,
      reason: e.reason,
      data: {
        sessionId: base.sessionId,
        argsHash: base.argsHash,
        ...(base.client ? { client: base.client } : {}),
        ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
        ...(e.error ? { error: redactText(e.error) } : {}),
        ...e.data,
      },
    },
    call: {
      id: base.callId,
      grantName: base.grant,
      sessionId: base.sessionId,
      upstream: base.upstream,
      tool: base.tool,
      argsRedacted: base.argsRedacted,
      argsHash: base.argsHash,
      decision: e.decision,
      rule: e.rule,
      reason: e.reason,
      status: e.status,
      durationMs: e.durationMs ?? null,
      error: e.error ?? null,
      finishedAt: e.status === "forwarded" ? null : at,
    },
  };
}

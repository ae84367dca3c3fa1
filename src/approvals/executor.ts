// Runs approved calls, at most once: only the process that wins approved → executing (a
// conditional UPDATE bound to the args hash) calls the upstream. A process that dies mid-call leaves
// `executing` behind; the reaper (runtime.ts) turns it into outcome_unknown, never a retry.
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log/index.ts";
import { forward } from "../proxy/gateway.ts";
import type { UpstreamConnection } from "../proxy/upstream.ts";
import type { ApprovalRepository } from "./repository.ts";
import type { ApprovalCore } from "./service.ts";
import type { Approval } from "./types.ts";

export interface ApprovalExecutor {
  /** Claims and runs the call; null when another process claimed it (or it is not approved). */
  execute(approval: Approval, options?: { onprogress?: (progress: Progress) => void }): Promise<Approval | null>;
}

export function createApprovalExecutor(deps: {
  repo: ApprovalRepository;
  service: ApprovalCore;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  instanceId: string;
  logger: Logger;
  onExecuted?: (approval: Approval) => void;
}): ApprovalExecutor {
  return {
    async execute(approval, options = {}) {
      const upstream = deps.upstreams.get(approval.upstream);
      if (!upstream) return null;
      const claimed = await deps.repo.claimExecution(approval.id, deps.instanceId, approval.argsHash);
      if (!claimed) return null;
      // The executing row is committed; its audit event need not delay the call.
      void deps.service.announce(claimed, `gateway:${deps.instanceId}`);
      const started = performance.now();
      const { result, outcome, error } = await forward(upstream, claimed.tool, claimed.args, { onprogress: options.onprogress }, claimed.callId);
      const durationMs = Math.round(performance.now() - started);
      // Sent but unanswered (connection lost, timeout): it may have run, so never `failed`, never retried.
      const finished =
        outcome === "unknown"
          ? await deps.repo.markOutcomeUnknown(claimed.id, error ?? "the upstream gave no answer")
          : await deps.repo.finishExecution(claimed.id, { status: outcome, result, error, durationMs });
      if (!finished) {
        // The reaper declared this instance dead while the call ran; keep its verdict.
        deps.logger.error({ approval: claimed.id }, "execution finished after being marked outcome_unknown");
        return deps.repo.get(claimed.id);
      }
      await deps.service.announce(finished, `gateway:${deps.instanceId}`);
      deps.onExecuted?.(finished);
      return finished;
    },
  };
}

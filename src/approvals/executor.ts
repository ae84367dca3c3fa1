// Runs approved calls, at most once: only the process that wins approved → executing calls the
// upstream. The claim is bound to the arguments as stored: they are opened (AES-GCM, tied to the
// approval id and args hash) and hashed again, so an edited row never runs. A process that dies
// mid-call leaves `executing` behind; the reaper turns it into outcome_unknown, never a retry.
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { toStorableJson } from "../audit/index.ts";
import type { Logger } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { forward } from "../proxy/gateway.ts";
import type { Origin } from "../proxy/origin.ts";
import type { UpstreamConnection } from "../proxy/upstream.ts";
import type { Sealer } from "../secrets/index.ts";
import { bindingHash, openArguments } from "./binding.ts";
import type { ApprovalRepository, ExecutionOutcome } from "./repository.ts";
import type { ApprovalCore } from "./service.ts";
import type { Approval } from "./types.ts";

export interface ApprovalExecutor {
  /** Claims and runs the call; null when it is not runnable here (another process claimed it, not approved, other key). */
  execute(approval: Approval, options?: { onprogress?: (progress: Progress) => void; origin?: Origin }): Promise<Approval | null>;
}

// After the upstream answered, its outcome must reach the row: keep trying through a database outage.
const FINISH_RETRY_MS = [200, 500, 1_000, 2_000, 5_000, 5_000, 10_000, 10_000, 15_000];

export function createApprovalExecutor(deps: {
  repo: ApprovalRepository;
  service: ApprovalCore;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  sealer: Sealer;
  instanceId: string;
  logger: Logger;
  metrics?: Pick<Metrics, "upstreamErrors">;
}): ApprovalExecutor {
  const { repo, logger } = deps;
  const actor = () => `gateway:${deps.instanceId}`;

  async function refuse(approval: Approval, why: string): Promise<Approval | null> {
    logger.error({ approval: approval.id }, why);
    const refused = await repo.refuseExecution(approval.id, why);
    if (refused) await deps.service.announce(refused, actor(), "approval.refused");
    return refused;
  }

  async function record(id: string, outcome: ExecutionOutcome): Promise<Approval | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await repo.finishExecution(id, deps.instanceId, outcome);
      } catch (error) {
        const delay = FINISH_RETRY_MS[attempt];
        if (delay === undefined) throw error;
        logger.warn({ approval: id, err: (error as Error).message }, "could not store the outcome of an approved call yet; retrying");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  return {
    async execute(approval, options = {}) {
      const upstream = deps.upstreams.get(approval.upstream);
      if (!upstream || approval.status !== "approved" || !approval.argsSealed) return null;
      const opened = openArguments(deps.sealer, approval);
      if (!opened.ok && opened.reason === "other_key") {
        logger.warn({ approval: approval.id, sealedWith: opened.keyId, ours: deps.sealer.keyId }, "approved call sealed with another gateway's key (set one GATEHOUSE_ENCRYPTION_KEY on every replica); leaving it for a gateway that can open it");
        return null;
      }
      if (!opened.ok || bindingHash(approval.upstream, approval.tool, opened.args) !== approval.argsHash) {
        return refuse(approval, "Refused to run: the stored arguments no longer match what the reviewer approved (the approval row was changed).");
      }
      const claimed = await repo.claimExecution(approval.id, { instance: deps.instanceId, argsHash: approval.argsHash, argsSealed: approval.argsSealed });
      if (!claimed) return null;
      // The executing row is committed; its audit event need not delay the call.
      void deps.service.announce(claimed, actor());
      const started = performance.now();
      const { result, outcome, error, errorKind } = await forward(upstream, claimed.tool, opened.args, { onprogress: options.onprogress, origin: options.origin }, claimed.callId);
      if (errorKind) deps.metrics?.upstreamErrors.inc({ upstream: upstream.name, kind: errorKind });
      const durationMs = Math.round(performance.now() - started);
      // Sent but unanswered (connection lost, timeout): it may have run, so never `failed`, never retried.
      const status = outcome === "unknown" ? "outcome_unknown" : outcome;
      const finished = await record(claimed.id, { status, result: toStorableJson(result) as CallToolResult, error: outcome === "unknown" ? (error ?? "the upstream gave no answer") : error, durationMs });
      if (!finished) {
        logger.error({ approval: claimed.id }, "execution finished but its row was no longer ours to finish");
        return repo.get(claimed.id);
      }
      await deps.service.announce(finished, actor());
      return finished;
    },
  };
}

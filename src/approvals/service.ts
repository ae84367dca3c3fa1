// The approval state machine (DESIGN §6) as the outside uses it: create, vote, expire, cancel.
// Who may vote is decided here, for every path (Slack, API, CLI): a Slack click must come from the
// approval's own message; then approvers (users and user groups), self-approval, quorum of people.
import type { AuditWriter } from "../audit/index.ts";
import type { Logger } from "../log/index.ts";
import type { ApprovalBus } from "./bus.ts";
import { approvalAuditEntry, followUpAuditEntry } from "./audit.ts";
import { countDecision, voteChannel, wasPendingWhenCancelled, type DecisionMetrics } from "./metrics.ts";
import type { ApprovalRepository, NewApproval } from "./repository.ts";
import type { ApprovalService } from "./service-types.ts";
import { isUnclaimedExpiry, type Approval, type ApprovalSpec, type Ballot, type SlackMessageRef, type VoteChannel, type Voter, type VoteOutcome } from "./types.ts";

export interface ApprovalServiceDeps {
  repo: ApprovalRepository;
  bus: ApprovalBus;
  audit: AuditWriter;
  logger: Logger;
  /** How long an approval decided in its last moments stays claimable (default 2 min). */
  claimGraceMs?: number;
  /** Resolves user-group membership (Slack). Without it only user ids listed in `approvers` match. */
  isApprover?: (spec: ApprovalSpec, slackUserId: string) => Promise<boolean>;
  /** Counts decisions and their time (the gateway's registry; the CLI's offline commands have none). */
  metrics?: DecisionMetrics;
}

export interface ApprovalCore extends ApprovalService {
  /**
   * The approval a held call follows: the one standing for the same call (open, or an answer standing
   * within `resultWindowMs`), else a new pending one, audited while `alongside` (the reviewer
   * notification, the expiry) runs (`isNew`). Null when an identical call inserted at the same moment.
   */
  openOrFind(
    values: NewApproval,
    options: { resultWindowMs: number; timeoutMs: number; client?: ClientInfo | null; alongside?: (approval: Approval) => Promise<void> },
  ): Promise<{ approval: Approval; isNew: boolean } | null>;
  /** Records a transition made elsewhere (executor): audit + wake-up. */
  announce(approval: Approval, actor: string, type?: string, data?: Record<string, unknown>): Promise<void>;
  /** Audits a later call that followed this approval instead of opening one ("attached" or "replayed"). */
  recordFollowUp(approval: Approval, call: FollowUpCall, kind: "attached" | "replayed"): Promise<void>;
  /** Cancels every open approval of a revoked grant; returns how many. */
  cancelForGrant(grantName: string, reason: string): Promise<number>;
}

/** The identical call that attached to (or was answered from) an approval: it has its own call id. */
export interface FollowUpCall {
  callId: string;
  sessionId: string;
  /** What the agent's MCP client said it is, for the audit trail. */
  client?: ClientInfo | null;
}

export interface ClientInfo {
  name: string;
  version: string;
}

export function createApprovalService(deps: ApprovalServiceDeps): ApprovalCore {
  const { repo, bus, audit } = deps;

  async function announce(approval: Approval, actor: string, type = `approval.${approval.status}`, data: Record<string, unknown> = {}): Promise<void> {
    await audit.record(approvalAuditEntry(approval, type, actor, data)).catch((error: unknown) => deps.logger.error({ err: (error as Error).message, approval: approval.id }, "could not audit approval transition"));
    await bus.publish({ id: approval.id, status: approval.status });
  }

  async function mayVote(approval: Approval, { voter, vote }: Ballot): Promise<string | null> {
    if (voter.isOperator) return null;
    const user = voter.slackUserId;
    if (!user) {
      return approval.spec.approvers.length === 0
        ? null
        : "this tool has an approver list, and a reviewer not linked to a Slack user id cannot be on it (link one with `gatehouse reviewers add <name> --slack U…`)";
    }
    // The owner may always stop their own agent's call; approving it needs allow_self_approval.
    if (vote === "approve" && approval.grantOwner && user === approval.grantOwner && !approval.spec.allowSelfApproval) {
      return "you own the agent (grant) that made this call, and self-approval is off for this tool";
    }
    if (approval.spec.approvers.length === 0) return null;
    const isListed = deps.isApprover ? await deps.isApprover(approval.spec, user) : approval.spec.approvers.includes(user);
    return isListed ? null : "you are not one of this tool's approvers";
  }

  async function decide(approval: Approval, to: "approved" | "denied", voter: Voter, reason: string | null, channel: VoteChannel): Promise<VoteOutcome> {
    const decided = await repo.decide(approval.id, to, voter.id, reason, deps.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS);
    if (!decided) return { kind: "already_decided", approval: (await repo.get(approval.id)) ?? approval };
    countDecision(deps.metrics, decided, channel);
    await announce(decided, voter.id, undefined, { via: voter.via, channel });
    return { kind: "decided", approval: decided };
  }

  return {
    announce,
    async openOrFind(values, { resultWindowMs, timeoutMs, client, alongside }) {
      const opened = await repo.openOrFind(values, resultWindowMs, timeoutMs);
      if (!opened?.isNew) return opened;
      const { approval } = opened;
      const audited = audit.record(approvalAuditEntry(approval, "approval.requested", `grant:${approval.grantName}`, client ? { client } : {}));
      await Promise.all([audited, alongside?.(approval)]);
      await bus.publish({ id: approval.id, status: approval.status, isNew: true });
      return opened;
    },
    async recordFollowUp(approval, call, kind) {
      await audit.record(followUpAuditEntry(approval, call, kind)).catch((error: unknown) => deps.logger.error({ err: (error as Error).message, approval: approval.id }, "could not audit a follow-up call"));
    },
    async cancelForGrant(grantName, reason) {
      let count = 0;
      for (const id of await repo.openForGrant(grantName)) {
        const cancelled = await repo.cancel(id, reason, "system");
        if (cancelled) {
          count += 1;
          if (wasPendingWhenCancelled(cancelled)) countDecision(deps.metrics, cancelled, "revoked");
          await announce(cancelled, "system");
        }
      }
      return count;
    },
    get: (id) => repo.get(id),
    list: (filter) => repo.list(filter),
    async vote(id, ballot) {
      const { voter, vote, reason } = ballot;
      const approval = await repo.get(id);
      if (!approval) return { kind: "not_found" };
      // First, whatever the status: a signed click carrying another message's button changes nothing.
      const refusal = originRefusal(approval, ballot) ?? (approval.status === "pending" ? await mayVote(approval, ballot) : null);
      if (refusal) {
        await audit.record(approvalAuditEntry(approval, "approval.vote_refused", voter.id, { reason: refusal, vote, via: voter.via, channel: voteChannel(ballot) })).catch(() => {});
        return { kind: "not_allowed", approval, reason: refusal };
      }
      if (approval.status !== "pending") return { kind: "already_decided", approval };
      const isNew = await repo.addVote(id, voter.id, vote, reason ?? null);
      if (!isNew) return { kind: "duplicate", approval };
      // A deciding vote is recorded by the decision's own audit event (its actor is the voter).
      if (vote === "deny") return decide(approval, "denied", voter, reason ?? null, voteChannel(ballot));
      const approvals = await repo.countApproveVotes(id);
      if (approvals >= approval.spec.minApprovals) return decide(approval, "approved", voter, approvals > 1 ? `${approvals} approvals` : null, voteChannel(ballot));
      await repo.markChanged(id);
      // Read back first: the event carries the approval with this vote in it.
      const current = (await repo.get(id)) ?? approval;
      await audit.record(approvalAuditEntry(current, "approval.vote", voter.id, { vote, reason: reason ?? null, via: voter.via, channel: voteChannel(ballot) })).catch(() => {});
      await bus.publish({ id, status: current.status });
      return { kind: "recorded", approval: current, approvals, needed: approval.spec.minApprovals };
    },
    async expire(id) {
      const expired = await repo.expire(id);
      // An approved call whose agent never came back was counted when it was approved.
      if (expired && !isUnclaimedExpiry(expired)) countDecision(deps.metrics, expired, "timeout");
      if (expired) await announce(expired, "system");
      return expired !== null;
    },
    async cancel(id, reason) {
      const cancelled = await repo.cancel(id, reason, "client");
      if (cancelled && wasPendingWhenCancelled(cancelled)) countDecision(deps.metrics, cancelled, "agent");
      if (cancelled) await announce(cancelled, "client");
      return cancelled !== null;
    },
    setSlackMessage: (id, channel, ts) => repo.setSlackMessage(id, channel, ts),
    markSlackShown: (id, version) => repo.markSlackShown(id, version),
  };
}

/** Why a Slack vote does not count: its click did not come from the message posted for this approval. */
function originRefusal(approval: Approval, { voter, message }: Ballot): string | null {
  if (voter.via !== "slack" || isFromApprovalMessage(approval, message ?? null)) return null;
  return approval.slackTs ? "the button you used is not on the message posted for this approval" : "the message for this approval has not been posted yet";
}

/** True when a click came from the message posted for this approval (same channel and ts). */
function isFromApprovalMessage(approval: Pick<Approval, "slackChannel" | "slackTs">, message: SlackMessageRef | null): boolean {
  return message !== null && approval.slackChannel !== null && approval.slackTs !== null && message.channel === approval.slackChannel && message.ts === approval.slackTs;
}

export const DEFAULT_CLAIM_GRACE_MS = 2 * 60_000;

/** Why the approvals of a revoked grant were cancelled (what the agent and reviewers read). */
export const REVOKED_REASON = "the agent's grant was revoked";

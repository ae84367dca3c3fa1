// What the approval workers do with a job. Jobs carry only the approval id: every run reloads the row,
// because Postgres is the system of record and a retried job must act on the state as it is now.
import type { ApprovalService } from "../service-types.ts";
import type { Approval, ApprovalNotifier } from "../types.ts";

export type ApprovalQueueKind = "notify" | "update" | "expire";

export type ApprovalJobOutcome = "posted" | "updated" | "skipped" | "expired" | "retrying" | "failed";

export interface ApprovalJobEvent {
  queue: ApprovalQueueKind;
  approvalId: string;
  outcome: ApprovalJobOutcome;
  /** Why the attempt failed ("retrying" / "failed"). */
  error?: string;
}

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 12, initialDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/** Delay before retry number `attemptsMade` (1-based): doubling from the initial delay, capped. */
export function backoffDelay(policy: RetryPolicy, attemptsMade: number): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.max(0, attemptsMade - 1), policy.maxDelayMs);
}

/**
 * One update job per visible state of the message: the row's version grows with every change a
 * reviewer can see (transition, vote, agent attaching or leaving). BullMQ custom ids must not contain ':'.
 */
export function updateJobId(approval: Pick<Approval, "id" | "version">): string {
  return `${approval.id}-v${approval.version}`;
}

export type PostedApproval = Approval & { slackChannel: string; slackTs: string };

export function isPosted(approval: Approval): approval is PostedApproval {
  return approval.slackChannel !== null && approval.slackTs !== null;
}

/** Thrown by the expire job when the deadline has not passed by the database's clock yet: BullMQ retries it. */
export class NotDueError extends Error {
  constructor(id: string) {
    super(`approval ${id} is open and not yet due`);
    this.name = "NotDueError";
  }
}

export interface JobDeps {
  service: Pick<ApprovalService, "get" | "expire" | "setSlackMessage" | "markSlackShown">;
  notifier: ApprovalNotifier | null;
  requestUpdate(approval: Approval): Promise<void>;
  onExpired?: (id: string) => void;
  onPosted?: (id: string) => void;
}

export async function postApprovalMessage(deps: JobDeps, id: string): Promise<ApprovalJobOutcome> {
  const { notifier, service } = deps;
  const approval = await service.get(id);
  if (!notifier || !approval) return "skipped";
  if (isPosted(approval)) {
    // An earlier attempt posted and saved the message: never post a second one.
    await rewriteUntilCurrent(deps, notifier, approval);
    return "updated";
  }
  const { channel, ts } = await notifier.post(approval);
  await service.setSlackMessage(id, channel, ts);
  await service.markSlackShown(id, approval.version);
  deps.onPosted?.(id);
  // A decision committed while we were posting found no message to update and was skipped; catch up.
  const current = await service.get(id);
  if (current && stateOf(current) !== stateOf(approval)) await rewriteUntilCurrent(deps, notifier, { ...current, slackChannel: channel, slackTs: ts });
  return "posted";
}

export async function updateApprovalMessage(deps: JobDeps, id: string): Promise<ApprovalJobOutcome> {
  const approval = await deps.service.get(id);
  // Not posted yet: the notify job posts whatever the state is when it runs.
  if (!deps.notifier || !approval || !isPosted(approval)) return "skipped";
  await rewriteUntilCurrent(deps, deps.notifier, approval);
  return "updated";
}

const MAX_REWRITES = 3;

/**
 * Update jobs for successive states can run at once (several workers, several replicas), so a job
 * that read an older state may write last. Each writer re-reads after writing and writes again until
 * what it wrote is still the current state.
 */
async function rewriteUntilCurrent(deps: JobDeps, notifier: ApprovalNotifier, posted: PostedApproval): Promise<void> {
  let shown = posted;
  for (let round = 0; round < MAX_REWRITES; round++) {
    await notifier.update(shown);
    await deps.service.markSlackShown(shown.id, shown.version);
    const current = await deps.service.get(shown.id);
    if (!current || stateOf(current) === stateOf(shown)) return;
    shown = { ...current, slackChannel: posted.slackChannel, slackTs: posted.slackTs };
  }
}

export async function expireApproval(deps: JobDeps, id: string): Promise<ApprovalJobOutcome> {
  if (await deps.service.expire(id)) {
    deps.onExpired?.(id);
    const approval = await deps.service.get(id);
    if (approval) await deps.requestUpdate(approval);
    return "expired";
  }
  const approval = await deps.service.get(id);
  // Still open: the job ran a little before the deadline by the database's clock, or the deadline
  // moved (an approval decided in its last moments keeps a grace period to be claimed).
  if (approval?.status === "pending" || approval?.status === "approved") throw new NotDueError(id);
  return "skipped";
}

function stateOf(approval: Approval): string {
  return updateJobId(approval);
}

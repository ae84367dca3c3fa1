import type { Approval, ApprovalStatus, Ballot, VoteOutcome } from "./types.ts";

/** The approval state machine as the outside (Slack, API, CLI, queues) uses it. */
export interface ApprovalService {
  get(id: string): Promise<Approval | null>;
  list(filter?: { statuses?: ApprovalStatus[]; limit?: number }): Promise<Approval[]>;
  /**
   * Records a person's vote and decides when the quorum of distinct people is reached (approve) or on the first
   * authorised deny. Refused (not_allowed, audited) when the person may not decide, or a Slack click did not come
   * from the approval's own message.
   */
  vote(id: string, ballot: Ballot): Promise<VoteOutcome>;
  /** pending or approved (never claimed) → expired once its deadline passed; false when not open or not due. */
  expire(id: string): Promise<boolean>;
  /** pending or approved → cancelled: the agent no longer wants the call (a mere disconnect is not a cancel). */
  cancel(id: string, reason: string): Promise<boolean>;
  /** Remembers where the reviewer message was posted, so later updates rewrite it. */
  setSlackMessage(id: string, channel: string, ts: string): Promise<void>;
  /** Records the approval version the reviewer message now shows (the reaper re-syncs messages left behind). */
  markSlackShown(id: string, version: number): Promise<void>;
}

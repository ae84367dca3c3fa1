// Adding and removing reviewers as a person does it (admin API, dashboard): the input checked once, the change
// made, and the change audited with that person as the actor.
import { z } from "zod";
import { SLACK_USER_ID } from "../approvals/voters.ts";
import type { AuditWriter } from "../audit/index.ts";
import { REVIEWER_NAME, type Reviewer, type ReviewerStore } from "./store.ts";

export const ReviewerInput = z.strictObject({
  name: z.string().regex(REVIEWER_NAME, "use letters, digits, '.', '_' or '-' (at most 64)"),
  slackUserId: z.string().regex(SLACK_USER_ID, "a Slack user id (U… or W…)").optional().describe("Link to a Slack user: both count as one person"),
  oidcIdentity: z.string().min(3).max(320).optional().describe("Identity at the single sign-on provider (email): signing in with it acts as this reviewer"),
});
export type ReviewerInput = z.infer<typeof ReviewerInput>;

export interface ReviewerAdminDeps {
  reviewers: ReviewerStore;
  audit: Pick<AuditWriter, "record">;
}

export type AddReviewerOutcome = { ok: true; reviewer: Reviewer; token: string } | { ok: false; reason: string };
export type RemoveReviewerOutcome = { ok: true; reviewer: Reviewer } | { ok: false; reason: string };

/** Adds the reviewer and audits `reviewer.added` as `actor`; the token is in this answer only. */
export async function addReviewer(deps: ReviewerAdminDeps, input: ReviewerInput, actor: string): Promise<AddReviewerOutcome> {
  const added = await deps.reviewers.add(input.name, { slackUserId: input.slackUserId, oidcIdentity: input.oidcIdentity });
  if (!added.ok) return added;
  await deps.audit.record({ event: { type: "reviewer.added", actor, data: { reviewer: input.name, slackUserId: input.slackUserId ?? null, oidcIdentity: added.reviewer.oidcIdentity } } });
  return added;
}

/** Removes the reviewer (their token and dashboard sessions stop at once) and audits `reviewer.removed` as `actor`. */
export async function removeReviewer(deps: ReviewerAdminDeps, name: string, actor: string): Promise<RemoveReviewerOutcome> {
  if (!(await deps.reviewers.remove(name))) return { ok: false, reason: `No active reviewer named "${name}"` };
  await deps.audit.record({ event: { type: "reviewer.removed", actor, data: { reviewer: name } } });
  const reviewer = (await deps.reviewers.list({ includeRemoved: true })).find((r) => r.name === name);
  return { ok: true, reviewer: reviewer! };
}

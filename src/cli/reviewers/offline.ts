// Reviewers on the database, answering in the admin API's shapes.
import { reviewerView } from "../../http/api/views.ts";
import { addReviewer, removeReviewer, ReviewerInput } from "../../reviewers/index.ts";
import { OFFLINE_ACTOR, parseInput, withAdminDeps } from "../offline-admin.ts";
import type { GlobalOptions } from "../usage.ts";
import { CommandFailed } from "../usage.ts";
import type { AddedReviewer, ReviewerJson } from "./run.ts";

export function addReviewerOffline(input: unknown, globals: GlobalOptions): Promise<AddedReviewer> {
  const parsed = parseInput(ReviewerInput, input);
  return withAdminDeps(globals, async (deps) => {
    const added = await addReviewer(deps, parsed, OFFLINE_ACTOR);
    if (!added.ok) throw new CommandFailed(added.reason);
    return { reviewer: reviewerView(added.reviewer) as ReviewerJson, token: added.token };
  });
}

export function listReviewersOffline(includeRemoved: boolean, globals: GlobalOptions): Promise<{ reviewers: ReviewerJson[] }> {
  return withAdminDeps(globals, async (deps) => ({ reviewers: (await deps.reviewers.list({ includeRemoved })).map((r) => reviewerView(r) as ReviewerJson) }));
}

export function removeReviewerOffline(name: string, globals: GlobalOptions): Promise<{ reviewer: ReviewerJson }> {
  return withAdminDeps(globals, async (deps) => {
    const removed = await removeReviewer(deps, name, OFFLINE_ACTOR);
    if (!removed.ok) throw new CommandFailed(removed.reason);
    return { reviewer: reviewerView(removed.reviewer) as ReviewerJson };
  });
}

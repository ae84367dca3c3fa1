// The reviewers commands: the admin API when a gateway runs, else the database (offline.ts, loaded only then).
import type { z } from "zod";
import { shortTime } from "../../audit/format.ts";
import type { ReviewerView } from "../../http/api/views.ts";
import { formatRows, print, type Column } from "../output.ts";
import { onGatewayOrOffline } from "../target.ts";
import type { GlobalOptions, ListFormat } from "../usage.ts";

export type ReviewerJson = z.output<typeof ReviewerView>;
export interface AddedReviewer {
  reviewer: ReviewerJson;
  token: string;
}

const COLUMNS: Column<ReviewerJson>[] = [
  { name: "name", value: (r) => r.name },
  { name: "person", value: (r) => r.personId },
  { name: "state", value: (r) => (r.removedAt ? "removed" : "active") },
  { name: "slack_user", value: (r) => r.slackUserId },
  { name: "oidc_identity", value: (r) => r.oidcIdentity },
  { name: "created_at", value: (r) => shortTime(r.createdAt) },
  { name: "removed_at", value: (r) => r.removedAt && shortTime(r.removedAt) },
];

export async function addReviewer(name: string, options: { slack?: string; oidc?: string }, globals: GlobalOptions): Promise<void> {
  const input = { name, ...(options.slack !== undefined && { slackUserId: options.slack }), ...(options.oidc !== undefined && { oidcIdentity: options.oidc }) };
  const { reviewer, token } = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.send<AddedReviewer>("POST", "/reviewers", input),
    async () => (await import("./offline.ts")).addReviewerOffline(input, globals),
  );
  const person = reviewer.slackUserId ? `the same person as Slack user ${reviewer.slackUserId}` : "not linked to a Slack user";
  print(`Added reviewer "${reviewer.name}" (votes as ${reviewer.personId}: ${person}). Their token (shown only now; only a hash is stored):\n\n  ${token}\n`);
  if (reviewer.oidcIdentity) print(`Signing in to the dashboard with single sign-on as ${reviewer.oidcIdentity} acts as this reviewer.`);
  print(`Use it as: Authorization: Bearer ${token} on /api/approvals, or gatehouse approvals approve|deny <id> --token ${token}`);
}

export async function listReviewers(options: { all?: boolean; format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const { reviewers } = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.get<{ reviewers: ReviewerJson[] }>("/reviewers", { all: options.all ? "true" : undefined }),
    async () => (await import("./offline.ts")).listReviewersOffline(options.all ?? false, globals),
  );
  print(formatRows(reviewers, COLUMNS, options.format, "No reviewers. Add one with: gatehouse reviewers add <name> [--slack U…]"));
}

export async function removeReviewer(name: string, globals: GlobalOptions): Promise<void> {
  const { reviewer } = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.send<{ reviewer: ReviewerJson }>("DELETE", `/reviewers/${encodeURIComponent(name)}`),
    async () => (await import("./offline.ts")).removeReviewerOffline(name, globals),
  );
  print(`Removed reviewer "${reviewer.name}": their token no longer works.`);
}

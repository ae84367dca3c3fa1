// `gatehouse audit show <id>` as text: the call story top to bottom, problems first when there are any.
// Pure: story in, text out. Agent- and upstream-supplied text has its control characters removed.
import { formatDuration, printable } from "./format.ts";
import type { VoteView } from "./rows.ts";
import type { CallStory } from "./story.ts";

export function renderCallStory(story: CallStory): string {
  const { call, asked, approval, execution, result, integrity } = story;
  const out: string[] = [];
  const line = (text = "") => out.push(text);
  const field = (name: string, value: string) => line(`  ${name.padEnd(10)} ${clean(value)}`);

  line(`Call ${story.callId}   ${clean(asked.upstream)} / ${clean(asked.tool)}`);
  line(`Chain: ${chainSummary(story)}`);
  if (!integrity.ok) {
    line();
    line("PROBLEMS: what the tables say disagrees with the audit chain");
    for (const problem of integrity.problems) line(`  ! ${clean(problem)}`);
  }
  line();
  line("Who asked");
  field("grant", asked.grant);
  field("session", asked.session);
  field("client", asked.client ? `${asked.client.name} ${asked.client.version}`.trim() : "not recorded");
  field("at", shortMs(asked.at));
  line();
  line(`Arguments (redacted)   sha256 ${story.arguments.hash}`);
  for (const text of JSON.stringify(story.arguments.redacted, null, 2).split("\n")) line(`  ${text}`);
  line();
  line("Decision");
  field("decision", call.decision);
  field("rule", call.rule ?? "(the policy's default)");
  if (story.decision.reason) field("reason", story.decision.reason);
  field("status", call.status);
  if (approval) renderApproval(story, line, field);
  line();
  line("What ran");
  if (!execution) line("  nothing was sent to the upstream");
  else {
    field("sent", `${execution.startedAt ? shortMs(execution.startedAt) : "?"}${execution.ranBy ? ` by ${execution.ranBy}` : ""}`);
    field("outcome", `${execution.status}${execution.durationMs === null ? "" : ` in ${formatDuration(execution.durationMs)}`}${execution.finishedAt ? ` (ended ${shortMs(execution.finishedAt)})` : ""}`);
    if (execution.error) field("error", execution.error);
  }
  if (result) {
    line();
    line(`Upstream answered${result.isError ? " with an error" : ""}${result.isTruncated ? ` (first ${result.text.length} of ${result.textLength} characters)` : ""}`);
    for (const text of (result.text === "" ? "(no text content)" : result.text).split("\n")) line(`  ${clean(text)}`);
    const other = Object.entries(result.content).filter(([type]) => type !== "text");
    if (other.length > 0 || result.hasStructuredContent) {
      line(`  also: ${[...other.map(([type, n]) => `${n} ${type}`), ...(result.hasStructuredContent ? ["structured content"] : [])].join(", ")}`);
    }
  }
  line();
  line("Timeline");
  for (const step of story.timeline) {
    const offset = `+${formatDuration(step.sinceStartMs)}`.padEnd(10);
    line(`  ${offset} ${shortMs(step.at)}  seq ${String(step.seq).padEnd(6)} ${step.isIntact ? "" : "[EDITED] "}${clean(step.summary)}`);
  }
  if (integrity.unverified.length > 0) {
    line();
    line(`Not covered by the chain (recorded before events carried them): ${integrity.unverified.map(clean).join(", ")}`);
  }
  return `${out.join("\n")}\n`;
}

function renderApproval(story: CallStory, line: (text?: string) => void, field: (name: string, value: string) => void): void {
  const approval = story.approval!;
  line();
  line(`Approval ${approval.id}${approval.isFollowUp ? ` (opened by the identical call ${approval.callId ?? "?"})` : ""}`);
  field("status", approval.status ?? "?");
  field("needed", approvalsNeeded(approval.spec));
  if (approval.createdAt) field("asked", shortMs(approval.createdAt));
  if (approval.expiresAt) field("deadline", shortMs(approval.expiresAt));
  if (approval.votes.length === 0) field("votes", "none");
  for (const vote of approval.votes) {
    const how = voteMeans(vote);
    field("vote", `${vote.at ? shortMs(vote.at) : "?"}  ${vote.voter} ${vote.vote}${how ? ` (via ${how})` : ""}${vote.reason ? `: ${vote.reason}` : ""}`);
  }
  if (approval.decidedBy) field("decided", `${approval.decidedBy}${approval.decidedAt ? ` at ${shortMs(approval.decidedAt)}` : ""}${approval.decisionReason ? `: ${approval.decisionReason}` : ""}`);
}

/** "2 approval(s) from anyone allowed to review in #ops-approvals": the quorum and who may give it. */
export function approvalsNeeded(spec: unknown): string {
  const { minApprovals, approvers, channel } = (spec ?? {}) as { minApprovals?: number; approvers?: string[]; channel?: string | null };
  return `${minApprovals ?? 1} approval(s) from ${approvers && approvers.length > 0 ? approvers.join(", ") : "anyone allowed to review"}${channel ? ` in ${channel}` : ""}`;
}

/** The credential a vote came with and where it was cast: "reviewer:alice, dashboard"; empty when the chain does not say. */
export function voteMeans(vote: VoteView): string {
  // A Slack click says "slack" twice (credential and channel): once is enough.
  const parts = [vote.via, vote.channel].filter((part): part is string => part !== null);
  return [...new Set(parts)].join(", ");
}

/** The chain check in one line, the same words on the call page. */
export function chainSummary(story: CallStory): string {
  const { chain, integrity } = story;
  const span = chain.firstSeq === null ? "no events" : `${chain.events} event(s), seq ${chain.firstSeq}–${chain.lastSeq}`;
  if (!chain.ok) return `BROKEN (${span}): see the problems below`;
  if (!integrity.ok) return `events verify (${span}), but the rows shown disagree with them`;
  return integrity.unverified.length > 0 ? `events verify (${span}); some fields predate the chain's snapshots` : `verified (${span}); the rows agree with their events`;
}

// Milliseconds kept: steps of one call are often apart by less than a second.
function shortMs(iso: string): string {
  return clean(iso.replace("T", " "));
}

function clean(text: string): string {
  return printable(text);
}

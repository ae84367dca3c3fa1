// Block Kit for the reviewer's message and the deny-reason modal. Pure: the approval and the clock come in,
// the JSON for chat.postMessage / chat.update / views.open goes out. Every piece of free text passes through
// redactText again, because a message in a channel is the widest audience any argument ever reaches.
import type { types as SlackTypes } from "@slack/bolt";
import { isUnclaimedExpiry, type Approval, type ApprovalStatus, type SlackMessageRef } from "../approvals/types.ts";
import { renderVoter } from "../approvals/voters.ts";
import { redactText } from "../audit/index.ts";
import { breakFences, clip, clipEscaped, code, codeBlock, escapeMrkdwn, formatDuration, mrkdwn, ownerMention, plain, slackDate } from "./mrkdwn.ts";

type KnownBlock = SlackTypes.KnownBlock;
type ModalView = SlackTypes.ModalView;
type PlainTextElement = SlackTypes.PlainTextElement;

export interface SlackMessage {
  /** Fallback for notifications and screen readers; never carries arguments. */
  text: string;
  blocks: KnownBlock[];
}

export const APPROVE_ACTION = "gatehouse_approve";
export const DENY_ACTION = "gatehouse_deny";
export const DENY_REASON_ACTION = "gatehouse_deny_reason";
export const DENY_REASON_MODAL = "gatehouse_deny_reason_modal";
export const DENY_REASON_BLOCK = "reason";
export const DENY_REASON_INPUT = "reason_input";

/** Slack refuses section text longer than this. */
export const SECTION_TEXT_LIMIT = 3000;
const HEADER_LIMIT = 150;
const ERROR_PREVIEW = 500;
// Redacting megabytes of arguments to show 3000 characters is wasted work; this much is plenty.
const ARGS_SCAN_LIMIT = 20_000;

/** The message while the call waits: facts, arguments, votes so far and the three buttons. */
export function pendingMessage(approval: Approval, now: Date): SlackMessage {
  const blocks: KnownBlock[] = [
    header(`Approval needed: ${approval.tool}`),
    factsSection(approval, [`*Time left*\n${timeLeft(approval.expiresAt, now)}`, `*Agent*\n${agentPresence(approval)}`]),
    ...reasonContext(approval),
    argumentsSection(approval.argsRedacted),
    context(votesLine(approval)),
    context(idLine(approval)),
    {
      type: "actions",
      block_id: "gatehouse_decision",
      elements: [
        button(APPROVE_ACTION, "Approve", approval.id, "primary"),
        button(DENY_ACTION, "Deny", approval.id, "danger"),
        button(DENY_REASON_ACTION, "Deny with reason…", approval.id),
      ],
    },
  ];
  return { text: `Approval needed: ${plain(approval.tool)} on ${plain(approval.upstream)} for agent ${plain(approval.grantName)}`, blocks };
}

/** The message once the call is no longer pending: no buttons; who decided, when and, once run, the outcome. */
export function resolvedMessage(approval: Approval, now: Date): SlackMessage {
  if (approval.status === "pending") return pendingMessage(approval, now);
  const blocks: KnownBlock[] = [
    header(`${HEADLINES[approval.status]}: ${approval.tool}`),
    factsSection(approval, []),
    ...reasonContext(approval),
    argumentsSection(approval.argsRedacted),
    section(decisionText(approval)),
  ];
  const outcome = outcomeText(approval);
  if (outcome) blocks.push(section(outcome));
  if (approval.status === "approved") {
    blocks.push(context(`${agentPresence(approval)} · it runs when the agent is there to take the result, or expires at ${slackDate(approval.expiresAt)} without running`));
  }
  if (approval.votes.length > 0) blocks.push(context(votesLine(approval)));
  blocks.push(context(idLine(approval)));
  return { text: `${HEADLINES[approval.status]}: ${plain(approval.tool)} on ${plain(approval.upstream)} for agent ${plain(approval.grantName)}`, blocks };
}

/** The approval id, so a reviewer can also decide from the CLI or API, and find it in the audit. */
function idLine(approval: Approval): string {
  return `Approval \`${approval.id}\` · also: \`gatehouse approvals approve|deny ${approval.id}\``;
}

/** Whichever builder matches the approval's status. */
export function approvalMessage(approval: Approval, now: Date): SlackMessage {
  return approval.status === "pending" ? pendingMessage(approval, now) : resolvedMessage(approval, now);
}

/**
 * Modal opened by "Deny with reason…". private_metadata carries the approval id and the message the button was
 * on to the submission, where the vote is checked against the approval's own message like a button click.
 */
export function denyReasonModal(approvalId: string, message: SlackMessageRef | null): ModalView {
  return {
    type: "modal",
    callback_id: DENY_REASON_MODAL,
    private_metadata: JSON.stringify({ approvalId, channel: message?.channel ?? null, ts: message?.ts ?? null }),
    title: plainText("Deny tool call"),
    submit: plainText("Deny"),
    close: plainText("Cancel"),
    blocks: [
      {
        type: "input",
        block_id: DENY_REASON_BLOCK,
        label: plainText("Why are you denying this call?"),
        hint: plainText("The agent receives this text as the reason for the refusal."),
        element: { type: "plain_text_input", action_id: DENY_REASON_INPUT, multiline: true, max_length: 1000 },
      },
    ],
  };
}

const HEADLINES: Record<ApprovalStatus, string> = {
  pending: "Approval needed",
  approved: "✅ Approved",
  executing: "⏳ Approved, running",
  succeeded: "✅ Approved and run",
  failed: "❌ Approved, but failed",
  outcome_unknown: "⚠️ Approved, outcome unknown",
  denied: "⛔ Denied",
  expired: "⌛ Expired, nothing ran",
  cancelled: "🚫 Cancelled",
};

function decisionText(approval: Approval): string {
  const by = renderVoter(approval.decidedBy, "slack");
  const at = approval.decidedAt ? slackDate(approval.decidedAt) : "an unknown time";
  const reason = approval.decisionReason ? `\n>${mrkdwn(clip(approval.decisionReason, 1000)).replaceAll("\n", "\n>")}` : "";
  switch (approval.status) {
    case "denied":
      return `*Denied* by ${by} at ${at}${reason}`;
    case "expired":
      return isUnclaimedExpiry(approval)
        ? `*Approved* by ${by} at ${at}, but the agent never came back; nothing ran. Expired at ${slackDate(approval.expiresAt)}.`
        : `*Expired* at ${slackDate(approval.expiresAt)}, nobody decided. Nothing ran.`;
    case "cancelled":
      return `*Cancelled* by the agent's client at ${at}. Nothing was executed.${reason}`;
    default:
      return `*Approved* by ${by} at ${at}${reason}`;
  }
}

function outcomeText(approval: Approval): string | null {
  const took = approval.durationMs === null ? "" : ` in ${approval.durationMs} ms`;
  switch (approval.status) {
    case "executing":
      return `*Running* since ${approval.executedAt ? slackDate(approval.executedAt) : "just now"}.`;
    case "succeeded":
      return `*Succeeded*${took}.`;
    case "failed": {
      const error = redactText(approval.error ?? "no error message");
      const preview = error.length > ERROR_PREVIEW ? `${error.slice(0, ERROR_PREVIEW)}…` : error;
      return `*Failed*${approval.durationMs === null ? "" : ` after ${approval.durationMs} ms`}:\n${codeBlock(preview)}`;
    }
    case "outcome_unknown":
      return `*Outcome unknown*: ${mrkdwn(clip(approval.error ?? "the gateway stopped while the call was running", ERROR_PREVIEW))}. The call may or may not have run. It was not retried; check ${mrkdwn(approval.upstream)} before trying again.`;
    default:
      return null;
  }
}

function factsSection(approval: Approval, extra: string[]): KnownBlock {
  const owner = approval.grantOwner ? ` (owner ${ownerMention(approval.grantOwner)})` : "";
  return {
    type: "section",
    fields: [
      `*Tool*\n${code(approval.tool)}`,
      `*Upstream*\n${mrkdwn(clip(approval.upstream))}`,
      `*Agent*\n${mrkdwn(clip(approval.grantName))}${owner}`,
      `*Session*\n${code(approval.sessionId)}`,
      `*Rule*\n${approval.rule ? code(approval.rule) : "policy default"}`,
      ...extra,
    ].map((text) => ({ type: "mrkdwn" as const, text })),
  };
}

function reasonContext(approval: Approval): KnownBlock[] {
  return approval.reason ? [context(`Why approval is needed: ${mrkdwn(clip(approval.reason))}`)] : [];
}

/** Pretty JSON in a code block, redacted again and cut to fit Slack's section limit. */
export function argumentsSection(argsRedacted: unknown): KnownBlock {
  return section(argumentsText(argsRedacted));
}

export function argumentsText(argsRedacted: unknown): string {
  const json = prettyJson(argsRedacted);
  const scanned = breakFences(redactText(json.slice(0, ARGS_SCAN_LIMIT)));
  const prefix = "*Arguments*\n```\n";
  const suffix = "\n```";
  const noteRoom = 60;
  const whole = prefix + escapeMrkdwn(scanned) + suffix;
  if (json.length <= ARGS_SCAN_LIMIT && whole.length <= SECTION_TEXT_LIMIT) return whole;
  const { shown, consumed } = clipEscaped(scanned, SECTION_TEXT_LIMIT - prefix.length - suffix.length - noteRoom);
  const omitted = scanned.length - consumed + (json.length - Math.min(json.length, ARGS_SCAN_LIMIT));
  return `${prefix}${shown}${suffix}\n_… (truncated, ${omitted} more characters)_`;
}

function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value ?? null, null, 2) ?? "null";
  } catch {
    return String(value);
  }
}

function votesLine(approval: Approval): string {
  const approvals = approval.votes.filter((v) => v.vote === "approve").length;
  const tally = `Approvals: ${approvals} of ${approval.spec.minApprovals} needed`;
  const who = approval.votes.map((v) => `${renderVoter(v.voter, "slack")} ${v.vote === "approve" ? "approved" : "denied"}`);
  return who.length > 0 ? `${tally} · ${who.join(", ")}` : `${tally} · no votes yet`;
}

/** Whether an agent is there to take the result: an approved call runs only then (DESIGN §5). */
export function agentPresence(approval: Approval): string {
  const returns = approval.agent.returns === 0 ? "" : ` · came back ${approval.agent.returns} ${approval.agent.returns === 1 ? "time" : "times"}`;
  if (approval.agent.isWaiting) return `agent waiting${returns}`;
  const seen = approval.agent.lastSeenAt ? ` (last seen ${slackDate(approval.agent.lastSeenAt)})` : "";
  return `agent not connected${seen}${returns}`;
}

function timeLeft(expiresAt: Date, now: Date): string {
  const ms = expiresAt.getTime() - now.getTime();
  return ms <= 0 ? `expiring now (deadline ${slackDate(expiresAt)})` : `${formatDuration(ms)} (until ${slackDate(expiresAt)})`;
}

function header(text: string): KnownBlock {
  return { type: "header", text: plainText(clip(text, HEADER_LIMIT)) };
}

function section(text: string): KnownBlock {
  return { type: "section", text: { type: "mrkdwn", text: clip(text, SECTION_TEXT_LIMIT) } };
}

function context(text: string): KnownBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: clip(text, SECTION_TEXT_LIMIT) }] };
}

function button(actionId: string, label: string, value: string, style?: "primary" | "danger"): SlackTypes.Button {
  return { type: "button", action_id: actionId, text: plainText(label), value, ...(style ? { style } : {}) };
}

function plainText(text: string): PlainTextElement {
  return { type: "plain_text", text, emoji: true };
}

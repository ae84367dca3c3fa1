// What a reviewer's click does. Every listener acknowledges first (Slack gives up after 3 s) and then
// votes through the ApprovalService, which alone decides who may vote. Payloads are parsed here, once.
// A Slack vote is the person slack:<USER_ID> (never the team) and carries the message the button was on
// (container channel + ts); the modal of "Deny with reason…" carries it in its private_metadata.
import type { App } from "@slack/bolt";
import { z } from "zod";
import type { ApprovalService } from "../approvals/service-types.ts";
import type { SlackMessageRef, VoteOutcome } from "../approvals/types.ts";
import { slackVoter } from "../approvals/voters.ts";
import type { AuditWriter } from "../audit/index.ts";
import type { Logger } from "../log/index.ts";
import {
  APPROVE_ACTION,
  DENY_ACTION,
  DENY_REASON_ACTION,
  DENY_REASON_BLOCK,
  DENY_REASON_INPUT,
  DENY_REASON_MODAL,
  denyReasonModal,
} from "./blocks.ts";
import { describeSlackError, type WebClient } from "./client.ts";

export interface ApprovalActionDeps {
  client: WebClient;
  service: ApprovalService;
  audit: AuditWriter;
  logger: Logger;
  /** Called when a click lands on an approval decided meanwhile, so its message is re-rendered. */
  onStale?: (approvalId: string) => void;
  /** Write `approval.vote_refused` here (off when the service already audits refusals). */
  auditRefusals?: boolean;
}

const ApprovalId = z.guid();
const Clicker = { user: z.object({ id: z.string().min(1) }) };

const ButtonClick = z.object({
  ...Clicker,
  trigger_id: z.string().min(1),
  container: z.object({ type: z.string(), channel_id: z.string().min(1).optional(), message_ts: z.string().min(1).optional() }).nullish(),
  channel: z.object({ id: z.string().min(1) }).nullish(),
  message: z.object({ ts: z.string().min(1) }).nullish(),
  actions: z.array(z.object({ action_id: z.string(), value: ApprovalId })).min(1),
});

/** What the deny-reason modal remembers between the click and the submission. */
const ModalMetadata = z.object({ approvalId: ApprovalId, channel: z.string().nullable(), ts: z.string().nullable() });

const ReasonSubmission = z.object({
  ...Clicker,
  view: z.object({
    private_metadata: z.string().transform((text, ctx) => {
      try {
        return ModalMetadata.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: "custom", message: "private_metadata is not ours" });
        return z.NEVER;
      }
    }),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))) }),
  }),
});

type ButtonClick = z.infer<typeof ButtonClick>;

export function registerApprovalActions(app: App, deps: ApprovalActionDeps): void {
  const { client, logger } = deps;

  for (const [actionId, vote] of [
    [APPROVE_ACTION, "approve"],
    [DENY_ACTION, "deny"],
  ] as const) {
    app.action(actionId, async ({ ack, body }) => {
      await ack();
      const click = ButtonClick.safeParse(body);
      if (!click.success) return logger.warn({ action: actionId, issues: click.error.issues.length }, "ignored a malformed Slack button payload");
      const approvalId = click.data.actions[0]!.value;
      await castVote(approvalId, click.data.user.id, vote, undefined, messageOf(click.data));
    });
  }

  app.action(DENY_REASON_ACTION, async ({ ack, body }) => {
    await ack();
    const click = ButtonClick.safeParse(body);
    if (!click.success) return logger.warn({ action: DENY_REASON_ACTION }, "ignored a malformed Slack button payload");
    const approvalId = click.data.actions[0]!.value;
    try {
      await client.views.open({ trigger_id: click.data.trigger_id, view: denyReasonModal(approvalId, messageOf(click.data)) });
    } catch (error) {
      logger.error({ err: describeSlackError(error), approval: approvalId }, "could not open the deny-reason modal");
      await tell(click.data.channel?.id ?? null, click.data.user.id, "Gatehouse could not open the deny dialog. Try again, or use the Deny button.");
    }
  });

  app.view(DENY_REASON_MODAL, async ({ ack, body }) => {
    const submission = ReasonSubmission.safeParse(body);
    if (!submission.success) {
      await ack();
      return logger.warn({ view: DENY_REASON_MODAL }, "ignored a malformed Slack modal submission");
    }
    const reason = submission.data.view.state.values[DENY_REASON_BLOCK]?.[DENY_REASON_INPUT]?.value?.trim() ?? "";
    if (!reason) {
      await ack({ response_action: "errors", errors: { [DENY_REASON_BLOCK]: "Say why, or close this and use the Deny button." } });
      return;
    }
    await ack();
    const { approvalId, channel, ts } = submission.data.view.private_metadata;
    await castVote(approvalId, submission.data.user.id, "deny", reason, channel && ts ? { channel, ts } : null);
  });

  async function castVote(approvalId: string, user: string, vote: "approve" | "deny", reason: string | undefined, message: SlackMessageRef | null): Promise<void> {
    const voter = slackVoter(user);
    const channel = message?.channel ?? null;
    let outcome: VoteOutcome;
    try {
      outcome = await deps.service.vote(approvalId, { voter, vote, reason, message });
    } catch (error) {
      logger.error({ err: (error as Error).message, approval: approvalId, voter: voter.id }, "could not record a Slack vote");
      await tell(channel, user, "Gatehouse could not record your vote right now. Try again in a moment.");
      return;
    }
    const where = channel ?? ("approval" in outcome ? outcome.approval.slackChannel : null);
    switch (outcome.kind) {
      case "not_allowed":
        // Audit first: once the clicker has been told, the refusal is on record.
        if (deps.auditRefusals ?? true) {
          await deps.audit
            .record({
              event: {
                type: "approval.vote_refused",
                actor: voter.id,
                callId: outcome.approval.callId,
                upstream: outcome.approval.upstream,
                tool: outcome.approval.tool,
                reason: outcome.reason,
                data: { approvalId, reason: outcome.reason, vote, via: voter.via },
              },
            })
            .catch((error: unknown) => logger.error({ err: (error as Error).message, approval: approvalId }, "could not audit a refused vote"));
        }
        await tell(where, user, `You are not allowed to ${vote} this call: ${outcome.reason}`);
        return;
      case "already_decided":
        deps.onStale?.(approvalId);
        await tell(where, user, `This call was already decided (${outcome.approval.status.replace("_", " ")}); your vote was not counted.`);
        return;
      case "duplicate":
        await tell(where, user, "You have already voted on this call.");
        return;
      case "not_found":
        await tell(where, user, "This approval no longer exists in Gatehouse.");
        return;
      case "recorded":
      case "decided":
        // The service refreshes the message (chat.update) for everyone.
        return;
    }
  }

  /** Ephemeral: only the clicker sees it. Best effort; without a channel there is nowhere to say it. */
  async function tell(channel: string | null, user: string, text: string): Promise<void> {
    if (!channel) return logger.warn({ user }, "no channel to tell a Slack user about their vote");
    try {
      await client.chat.postEphemeral({ channel, user, text });
    } catch (error) {
      logger.warn({ err: describeSlackError(error), user }, "could not send an ephemeral Slack message");
    }
  }
}

/**
 * The message the button was on, as Slack reports it (container, and again in channel / message). Null when it
 * is missing or the two disagree: such a click is refused, never guessed.
 */
function messageOf(click: ButtonClick): SlackMessageRef | null {
  const channel = click.container?.channel_id ?? click.channel?.id;
  const ts = click.container?.message_ts ?? click.message?.ts;
  if (!channel || !ts || click.container?.type !== "message") return null;
  if ((click.channel && click.channel.id !== channel) || (click.message && click.message.ts !== ts)) return null;
  return { channel, ts };
}

// What a reviewer's click does. Every listener acknowledges first (Slack gives up after 3 s) and then
// votes through the ApprovalService, which alone decides who may vote. Payloads are parsed here, once.
import type { App } from "@slack/bolt";
import { z } from "zod";
import type { ApprovalService } from "../approvals/service-types.ts";
import type { Voter, VoteOutcome } from "../approvals/types.ts";
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
const Identity = {
  team: z.object({ id: z.string().min(1) }).nullish(),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
};

const ButtonClick = z.object({
  ...Identity,
  trigger_id: z.string().min(1),
  channel: z.object({ id: z.string().min(1) }).nullish(),
  actions: z.array(z.object({ action_id: z.string(), value: ApprovalId })).min(1),
});

const ReasonSubmission = z.object({
  ...Identity,
  view: z.object({
    private_metadata: ApprovalId,
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))) }),
  }),
});

type Identity = z.infer<typeof ButtonClick>;

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
      await castVote(approvalId, voterOf(click.data), vote, undefined, click.data.channel?.id ?? null);
    });
  }

  app.action(DENY_REASON_ACTION, async ({ ack, body }) => {
    await ack();
    const click = ButtonClick.safeParse(body);
    if (!click.success) return logger.warn({ action: DENY_REASON_ACTION }, "ignored a malformed Slack button payload");
    const approvalId = click.data.actions[0]!.value;
    try {
      await client.views.open({ trigger_id: click.data.trigger_id, view: denyReasonModal(approvalId) });
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
    await castVote(submission.data.view.private_metadata, voterOf(submission.data), "deny", reason, null);
  });

  async function castVote(approvalId: string, voter: Voter & { slackUserId: string }, vote: "approve" | "deny", reason: string | undefined, channel: string | null): Promise<void> {
    let outcome: VoteOutcome;
    try {
      outcome = await deps.service.vote(approvalId, voter, vote, reason);
    } catch (error) {
      logger.error({ err: (error as Error).message, approval: approvalId, voter: voter.id }, "could not record a Slack vote");
      await tell(channel, voter.slackUserId, "Gatehouse could not record your vote right now. Try again in a moment.");
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
                data: { approvalId, reason: outcome.reason, vote },
              },
            })
            .catch((error: unknown) => logger.error({ err: (error as Error).message, approval: approvalId }, "could not audit a refused vote"));
        }
        await tell(where, voter.slackUserId, `You are not allowed to ${vote} this call: ${outcome.reason}`);
        return;
      case "already_decided":
        deps.onStale?.(approvalId);
        await tell(where, voter.slackUserId, `This call was already decided (${outcome.approval.status.replace("_", " ")}); your vote was not counted.`);
        return;
      case "duplicate":
        await tell(where, voter.slackUserId, "You have already voted on this call.");
        return;
      case "not_found":
        await tell(where, voter.slackUserId, "This approval no longer exists in Gatehouse.");
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

function voterOf(identity: Pick<Identity, "team" | "user">): Voter & { slackUserId: string } {
  const user = identity.user.id;
  const team = identity.team?.id ?? identity.user.team_id ?? "unknown";
  return { id: `slack:${team}:${user}`, display: `<@${user}>`, slackUserId: user };
}

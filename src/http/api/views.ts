// What the API shows, as zod schemas (for the OpenAPI document and contract tests) and the mappers from
// domain objects to those shapes. Sealed arguments and token hashes never appear here.
import { z } from "zod";
import type { Approval } from "../../approvals/index.ts";
import type { Integrity } from "../../audit/index.ts";
import type { Grant } from "../../grants/index.ts";
import type { Reviewer } from "../../reviewers/index.ts";
import { IsoTime, NullableIsoTime } from "./route.ts";

const iso = (date: Date) => date.toISOString();
const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

export const APPROVAL_STATUSES = ["pending", "approved", "denied", "expired", "cancelled", "executing", "succeeded", "failed", "outcome_unknown"] as const;

export const VoteView = z
  .object({ voter: z.string().describe("The person: admin, reviewer:<name>, slack:<U…>, oidc:<identity>"), vote: z.enum(["approve", "deny"]), reason: z.string().nullable(), createdAt: IsoTime })
  .meta({ id: "Vote" });

export const IntegrityView = z
  .object({
    ok: z.boolean().describe("False when the row disagrees with the events that wrote it (edited behind the gateway's back), or they are broken"),
    problems: z.array(z.string()),
    unverified: z.array(z.string()).describe("Fields the chain does not record (older events); shown as stored"),
  })
  .meta({ id: "Integrity" });

export const ApprovalView = z
  .object({
    id: z.uuid(),
    callId: z.uuid(),
    status: z.enum(APPROVAL_STATUSES),
    createdAt: IsoTime,
    expiresAt: IsoTime,
    upstream: z.string(),
    tool: z.string(),
    exposedTool: z.string().describe("The tool name the agent called (namespaced when there are several upstreams)"),
    argsRedacted: z.unknown().describe("The arguments with secrets redacted"),
    argsHash: z.string().describe("SHA-256 of the canonical {upstream, tool, arguments}"),
    grantName: z.string(),
    grantOwner: z.string().nullable(),
    sessionId: z.string(),
    rule: z.string().nullable().describe("JSON Pointer of the policy rule that asked for approval"),
    reason: z.string().nullable(),
    spec: z.object({
      channel: z.string().nullable(),
      approvers: z.array(z.string()),
      minApprovals: z.number().int(),
      allowSelfApproval: z.boolean(),
      wait: z.enum(["hold", "ticket"]),
      timeout: z.string(),
    }),
    holdMode: z.enum(["hold", "task", "ticket"]),
    agent: z.object({ isWaiting: z.boolean(), returns: z.number().int(), lastSeenAt: NullableIsoTime }),
    version: z.number().int(),
    slackVersion: z.number().int().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: NullableIsoTime,
    decisionReason: z.string().nullable(),
    slackChannel: z.string().nullable(),
    slackTs: z.string().nullable(),
    result: z.unknown().nullable().describe("The upstream's result, once the call ran"),
    error: z.string().nullable(),
    executedAt: NullableIsoTime,
    finishedAt: NullableIsoTime,
    durationMs: z.number().int().nullable(),
    votes: z.array(VoteView),
    integrity: IntegrityView.optional().describe("This row and its votes checked against the audit chain"),
  })
  .meta({ id: "Approval" });

export function approvalView(approval: Approval, integrity?: Integrity): z.input<typeof ApprovalView> {
  const { argsSealed: _sealed, ...rest } = approval;
  return {
    ...rest,
    integrity,
    createdAt: iso(rest.createdAt),
    expiresAt: iso(rest.expiresAt),
    agent: { ...rest.agent, lastSeenAt: isoOrNull(rest.agent.lastSeenAt) },
    decidedAt: isoOrNull(rest.decidedAt),
    executedAt: isoOrNull(rest.executedAt),
    finishedAt: isoOrNull(rest.finishedAt),
    votes: rest.votes.map((v) => ({ ...v, createdAt: iso(v.createdAt) })),
  };
}

export const GrantView = z
  .object({ id: z.uuid(), name: z.string(), owner: z.string().nullable(), labels: z.record(z.string(), z.string()), createdAt: IsoTime, revokedAt: NullableIsoTime })
  .meta({ id: "Grant" });

export function grantView(grant: Grant): z.input<typeof GrantView> {
  return { ...grant, createdAt: iso(grant.createdAt), revokedAt: isoOrNull(grant.revokedAt) };
}

export const ReviewerView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    slackUserId: z.string().nullable(),
    oidcIdentity: z.string().nullable(),
    personId: z.string().describe("The person this reviewer's votes count as"),
    createdAt: IsoTime,
    removedAt: NullableIsoTime,
  })
  .meta({ id: "Reviewer" });

export function reviewerView(reviewer: Reviewer): z.input<typeof ReviewerView> {
  return { ...reviewer, oidcIdentity: reviewer.oidcIdentity ?? null, createdAt: iso(reviewer.createdAt), removedAt: isoOrNull(reviewer.removedAt) };
}

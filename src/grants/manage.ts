// Creating and revoking grants as a person does it (admin API, dashboard): the input checked once, the change
// made, and the change audited with that person as the actor. Revoking also cancels the grant's open approvals.
import { z } from "zod";
import type { ApprovalCore } from "../approvals/index.ts";
import { REVOKED_REASON } from "../approvals/service.ts";
import { SLACK_USER_ID } from "../approvals/voters.ts";
import type { AuditWriter } from "../audit/index.ts";
import type { Grant, GrantStore } from "./store.ts";

export const GRANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const GrantInput = z.strictObject({
  name: z.string().regex(GRANT_NAME, "use letters, digits, '.', '_' or '-' (at most 64)"),
  owner: z.string().regex(SLACK_USER_ID, "a Slack user id (U… or W…)").optional().describe("The person responsible for the agent: cannot approve its calls"),
  labels: z.record(z.string(), z.string()).optional().describe("Free-form labels, available to policy conditions as grant.labels.*"),
});
export type GrantInput = z.infer<typeof GrantInput>;

export interface GrantAdminDeps {
  grants: GrantStore;
  approvals: Pick<ApprovalCore, "cancelForGrant">;
  audit: Pick<AuditWriter, "record">;
}

export type CreateGrantOutcome = { ok: true; grant: Grant; token: string } | { ok: false; reason: string };
export type RevokeGrantOutcome = { ok: true; grant: Grant; cancelledApprovals: number } | { ok: false; reason: string };

/** Creates the grant and audits `grant.created` as `actor`; the token is in this answer only. */
export async function createGrant(deps: GrantAdminDeps, input: GrantInput, actor: string): Promise<CreateGrantOutcome> {
  const created = await deps.grants.create(input.name, { owner: input.owner, labels: input.labels });
  if (!created.ok) return created;
  await deps.audit.record({ event: { type: "grant.created", actor, data: { grant: input.name, owner: input.owner ?? null } } });
  return created;
}

/** Revokes the grant (its token gets 401 at once), cancels its open approvals and audits `grant.revoked` as `actor`. */
export async function revokeGrant(deps: GrantAdminDeps, name: string, actor: string): Promise<RevokeGrantOutcome> {
  if (!(await deps.grants.revoke(name))) return { ok: false, reason: `No active grant named "${name}"` };
  const cancelledApprovals = await deps.approvals.cancelForGrant(name, REVOKED_REASON);
  await deps.audit.record({ event: { type: "grant.revoked", actor, data: { grant: name, cancelledApprovals } } });
  const grant = await deps.grants.findByName(name);
  return { ok: true, grant: grant!, cancelledApprovals };
}

// /api/grants and /api/reviewers: the credentials of agents and of the people who decide. A token is in the
// answer that creates it and nowhere else, ever. Every change is audited with the person who made it.
import { z } from "zod";
import { REVOKED_REASON, SLACK_USER_ID } from "../../approvals/index.ts";

import { REVIEWER_NAME } from "../../reviewers/index.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiProblem, defineRoute, QueryBoolean, type ApiRoute } from "./route.ts";
import { grantView, GrantView, reviewerView, ReviewerView } from "./views.ts";

const GRANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NameParams = z.object({ name: z.string().min(1) });

export function grantRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/grants",
      tag: "grants",
      summary: "List grants (agent credentials), revoked ones included",
      access: "admin",
      response: z.object({ grants: z.array(GrantView) }),
      async handler() {
        return { grants: (await deps.grants.list()).map(grantView) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/grants",
      tag: "grants",
      summary: "Create a grant; its token is in this answer only",
      access: "admin",
      status: 201,
      body: z.strictObject({
        name: z.string().regex(GRANT_NAME, "use letters, digits, '.', '_' or '-' (at most 64)"),
        owner: z.string().regex(SLACK_USER_ID, "a Slack user id (U… or W…)").optional().describe("The person responsible for the agent: cannot approve its calls"),
        labels: z.record(z.string(), z.string()).optional().describe("Free-form labels, available to policy conditions as grant.labels.*"),
      }),
      response: z.object({ grant: GrantView, token: z.string().describe("Shown once; only its SHA-256 is stored") }),
      errors: [{ status: 409, code: "conflict", description: "A grant with this name exists" }],
      async handler({ body, caller }) {
        const created = await deps.grants.create(body.name, { owner: body.owner, labels: body.labels });
        if (!created.ok) throw new ApiProblem(409, "conflict", created.reason);
        await deps.audit.record({ event: { type: "grant.created", actor: caller.person, data: { grant: body.name, owner: body.owner ?? null } } });
        return { grant: grantView(created.grant), token: created.token };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/grants/:name",
      tag: "grants",
      summary: "Revoke a grant: its token gets 401 from now on, and its open approvals are cancelled",
      access: "admin",
      params: NameParams,
      response: z.object({ grant: GrantView, cancelledApprovals: z.number().int() }),
      errors: [{ status: 404, code: "not_found", description: "No active grant with this name" }],
      async handler({ params, caller }) {
        if (!(await deps.grants.revoke(params.name))) throw new ApiProblem(404, "not_found", `No active grant named "${params.name}"`);
        const cancelledApprovals = await deps.approvals.cancelForGrant(params.name, REVOKED_REASON);
        await deps.audit.record({ event: { type: "grant.revoked", actor: caller.person, data: { grant: params.name, cancelledApprovals } } });
        const grant = await deps.grants.findByName(params.name);
        return { grant: grantView(grant!), cancelledApprovals };
      },
    }),
  ];
}

export function reviewerRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/reviewers",
      tag: "reviewers",
      summary: "List reviewers (people who decide outside Slack); tokens are never shown",
      access: "admin",
      query: z.object({ all: QueryBoolean.optional().describe("Include removed reviewers") }),
      response: z.object({ reviewers: z.array(ReviewerView) }),
      async handler({ query }) {
        return { reviewers: (await deps.reviewers.list({ includeRemoved: query.all ?? false })).map(reviewerView) };
      },
    }),
    defineRoute({
      method: "post",
      path: "/reviewers",
      tag: "reviewers",
      summary: "Add a reviewer; their token is in this answer only",
      access: "admin",
      status: 201,
      body: z.strictObject({
        name: z.string().regex(REVIEWER_NAME, "use letters, digits, '.', '_' or '-' (at most 64)"),
        slackUserId: z.string().regex(SLACK_USER_ID, "a Slack user id (U… or W…)").optional().describe("Link to a Slack user: both count as one person"),
        oidcIdentity: z.string().min(3).max(320).optional().describe("Identity at the single sign-on provider (email): signing in with it acts as this reviewer"),
      }),
      response: z.object({ reviewer: ReviewerView, token: z.string().describe("Shown once; only its SHA-256 is stored") }),
      errors: [{ status: 409, code: "conflict", description: "The name (or sign-on identity) is in use" }],
      async handler({ body, caller }) {
        const added = await deps.reviewers.add(body.name, { slackUserId: body.slackUserId, oidcIdentity: body.oidcIdentity });
        if (!added.ok) throw new ApiProblem(409, "conflict", added.reason);
        await deps.audit.record({ event: { type: "reviewer.added", actor: caller.person, data: { reviewer: body.name, slackUserId: body.slackUserId ?? null, oidcIdentity: added.reviewer.oidcIdentity } } });
        return { reviewer: reviewerView(added.reviewer), token: added.token };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/reviewers/:name",
      tag: "reviewers",
      summary: "Remove a reviewer: their token and dashboard sessions stop working at once",
      access: "admin",
      params: NameParams,
      response: z.object({ reviewer: ReviewerView }),
      errors: [{ status: 404, code: "not_found", description: "No active reviewer with this name" }],
      async handler({ params, caller }) {
        if (!(await deps.reviewers.remove(params.name))) throw new ApiProblem(404, "not_found", `No active reviewer named "${params.name}"`);
        await deps.audit.record({ event: { type: "reviewer.removed", actor: caller.person, data: { reviewer: params.name } } });
        const reviewer = (await deps.reviewers.list({ includeRemoved: true })).find((r) => r.name === params.name);
        return { reviewer: reviewerView(reviewer!) };
      },
    }),
  ];
}

// /api/grants and /api/reviewers: the credentials of agents and of the people who decide. A token is in the
// answer that creates it and nowhere else, ever. Every change is audited with the person who made it.
import { z } from "zod";
import { createGrant, GrantInput, revokeGrant } from "../../grants/index.ts";
import { addReviewer, removeReviewer, ReviewerInput } from "../../reviewers/index.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiProblem, defineRoute, QueryBoolean, type ApiRoute } from "./route.ts";
import { grantView, GrantView, reviewerView, ReviewerView } from "./views.ts";

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
      body: GrantInput,
      response: z.object({ grant: GrantView, token: z.string().describe("Shown once; only its SHA-256 is stored") }),
      errors: [{ status: 409, code: "conflict", description: "A grant with this name exists" }],
      async handler({ body, caller }) {
        const created = await createGrant(deps, body, caller.person);
        if (!created.ok) throw new ApiProblem(409, "conflict", created.reason);
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
        const revoked = await revokeGrant(deps, params.name, caller.person);
        if (!revoked.ok) throw new ApiProblem(404, "not_found", revoked.reason);
        return { grant: grantView(revoked.grant), cancelledApprovals: revoked.cancelledApprovals };
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
      body: ReviewerInput,
      response: z.object({ reviewer: ReviewerView, token: z.string().describe("Shown once; only its SHA-256 is stored") }),
      errors: [{ status: 409, code: "conflict", description: "The name (or sign-on identity) is in use" }],
      async handler({ body, caller }) {
        const added = await addReviewer(deps, body, caller.person);
        if (!added.ok) throw new ApiProblem(409, "conflict", added.reason);
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
        const removed = await removeReviewer(deps, params.name, caller.person);
        if (!removed.ok) throw new ApiProblem(404, "not_found", removed.reason);
        return { reviewer: reviewerView(removed.reviewer) };
      },
    }),
  ];
}

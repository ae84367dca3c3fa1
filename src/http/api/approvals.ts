// /api/approvals: list, show and decide held calls, and a live stream of changes for the dashboard. The
// person who votes is the credential's (admin, reviewer, or the signed-in dashboard user); a body cannot
// choose it.
import { z } from "zod";
import type { ApprovalStatus } from "../../approvals/index.ts";
import { checkApprovalsSettled } from "../../audit/index.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiProblem, commaList, defineRoute, type ApiRoute } from "./route.ts";
import { APPROVAL_STATUSES, approvalView, ApprovalView } from "./views.ts";

const IdParams = z.object({ id: z.uuid({ error: "approval ids are UUIDs" }) });
const DecisionParams = IdParams.extend({ decision: z.enum(["approve", "deny"], { error: "use /approve or /deny" }) });
const DecisionBody = z.strictObject({ reason: z.string().max(2000).optional().describe("Shown to the agent (on deny) and in the audit") });

export function approvalRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/approvals",
      tag: "approvals",
      summary: "List approvals, newest first",
      access: "reviewer",
      query: z.object({
        status: commaList(z.enum(APPROVAL_STATUSES)).optional().describe("Comma-separated statuses, e.g. pending,approved (default: all)"),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({ approvals: z.array(ApprovalView) }),
      async handler({ query }) {
        const rows = await deps.approvals.list({ statuses: query.status as ApprovalStatus[] | undefined, limit: query.limit });
        const checked = await checkApprovalsSettled(deps.database, deps.audit, rows.map((a) => a.id));
        return { approvals: rows.map((a) => approvalView(a, checked.get(a.id)?.integrity)) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/approvals/stream",
      tag: "approvals",
      summary: "Server-sent events: one `change` event ({id, status}) each time an approval changes",
      description: "A comment line every 15 s keeps proxies from closing the stream. Reconnect and re-list after a drop: events are not replayed.",
      access: "reviewer",
      alsoProduces: ["text/event-stream"],
      async handler({ req, res }) {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
        res.write(": gatehouse approvals\n\n");
        const unsubscribe = deps.approvalBus.subscribe((change) => {
          res.write(`event: change\ndata: ${JSON.stringify({ id: change.id, status: change.status })}\n\n`);
        });
        const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
        req.on("close", () => {
          clearInterval(keepAlive);
          unsubscribe();
        });
        return undefined;
      },
    }),
    defineRoute({
      method: "get",
      path: "/approvals/:id",
      tag: "approvals",
      summary: "One approval, with its votes",
      access: "reviewer",
      params: IdParams,
      response: ApprovalView,
      errors: [{ status: 404, code: "not_found", description: "No such approval" }],
      async handler({ params }) {
        const approval = await deps.approvals.get(params.id);
        if (!approval) throw new ApiProblem(404, "not_found", `No approval ${params.id}`);
        const checked = await checkApprovalsSettled(deps.database, deps.audit, [approval.id]);
        return approvalView(approval, checked.get(approval.id)?.integrity);
      },
    }),
    defineRoute({
      method: "post",
      path: "/approvals/:id/:decision",
      tag: "approvals",
      summary: "Vote to approve or deny a held call, as the person the credential belongs to",
      description:
        "The same rules as a Slack click: approver lists (users and user groups), no self-approval unless the policy allows it, a quorum of distinct people, first decision wins. A body with `actor` is refused.",
      access: "reviewer",
      params: DecisionParams,
      body: z.unknown(),
      response: z.object({ outcome: z.enum(["decided", "recorded"]), voter: z.string(), approvals: z.number().int().optional(), needed: z.number().int().optional(), approval: ApprovalView }),
      errors: [
        { status: 400, code: "actor_not_accepted", description: "The body named who votes" },
        { status: 403, code: "not_allowed", description: "This person may not decide this call" },
        { status: 404, code: "not_found", description: "No such approval" },
        { status: 409, code: "already_decided", description: "Already decided (or this person already voted: duplicate_vote)" },
      ],
      async handler({ params, body: raw, caller, req }) {
        const voter = caller.voter;
        if (typeof raw === "object" && raw !== null && "actor" in raw) {
          throw new ApiProblem(400, "actor_not_accepted", `"actor" is not accepted: votes are cast as the person the credential belongs to (this one votes as ${voter.id}). Send only "reason", with the token of the person who decides.`);
        }
        const parsed = DecisionBody.safeParse(raw ?? {});
        if (!parsed.success) throw new ApiProblem(400, "invalid_body", parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
        const channel = caller.session ? "dashboard" : req.header("x-gatehouse-client") === "cli" ? "cli" : "api";
        const outcome = await deps.approvals.vote(params.id, { voter, vote: params.decision, reason: parsed.data.reason, channel });
        switch (outcome.kind) {
          case "not_found":
            throw new ApiProblem(404, "not_found", `No approval ${params.id}`);
          case "already_decided":
            throw new ApiProblem(409, "already_decided", `Approval ${params.id} is already ${outcome.approval.status}; nothing changed.`);
          case "duplicate":
            throw new ApiProblem(409, "duplicate_vote", `${voter.id} already voted on approval ${params.id}; a person's vote counts once.`);
          case "not_allowed":
            throw new ApiProblem(403, "not_allowed", `${voter.id} may not ${params.decision} this call: ${outcome.reason}`);
          case "recorded":
            return { outcome: "recorded" as const, voter: voter.id, approvals: outcome.approvals, needed: outcome.needed, approval: approvalView(outcome.approval) };
          case "decided":
            return { outcome: "decided" as const, voter: voter.id, approval: approvalView(outcome.approval) };
        }
      },
    }),
  ];
}

// /api/audit: the audit history, for reviewers and auditors.
import { z } from "zod";
import { formatToolCalls, InvalidAuditQueryError, listAuditEvents, listToolCalls, parseSince } from "../../audit/index.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiProblem, defineRoute, type ApiRoute } from "./route.ts";

const When = z.string().describe("A duration back from now (30m, 2h, 7d) or an ISO-8601 time");

const CallsQuery = z.object({
  since: When.optional(),
  until: When.optional(),
  upstream: z.string().optional(),
  tool: z.string().optional().describe("Tool name or glob (* and ?)"),
  grant: z.string().optional(),
  decision: z.string().optional().describe("allow | deny | hide | rate_limited | require_approval"),
  status: z.string().optional(),
  reviewer: z.string().optional().describe("Anyone who voted on the call's approval"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional().describe("nextCursor of the previous page"),
  format: z.enum(["json", "csv"]).default("json"),
});

const EventsQuery = z.object({
  since: When.optional(),
  until: When.optional(),
  type: z.string().optional().describe("Event type or glob, e.g. approval.*"),
  actor: z.string().optional(),
  callId: z.string().optional(),
  upstream: z.string().optional(),
  tool: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
});

/** Reviewer input the audit layer refused (bad cursor, absurd time) is the caller's to fix: 400. */
async function asQuery<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InvalidAuditQueryError) throw new ApiProblem(400, "invalid_query", error.message);
    throw error;
  }
}

function timeRange(query: { since?: string; until?: string }) {
  const now = new Date();
  try {
    return { since: query.since ? parseSince(query.since, now) : undefined, until: query.until ? parseSince(query.until, now) : undefined };
  } catch (error) {
    throw new ApiProblem(400, "invalid_query", (error as Error).message);
  }
}

export function auditRoutes(deps: ApiDeps): ApiRoute[] {
  const listCalls = (path: string, summary: string) =>
    defineRoute({
      method: "get",
      path,
      tag: "audit",
      summary,
      access: "reviewer",
      query: CallsQuery,
      alsoProduces: ["text/csv"],
      async handler({ query, res }) {
        const page = await asQuery(() => listToolCalls(deps.database, { ...timeRange(query), upstream: query.upstream, tool: query.tool, grant: query.grant, decision: query.decision, status: query.status, reviewer: query.reviewer, limit: query.limit, cursor: query.cursor }));
        if (query.format === "csv") {
          res.type("text/csv").send(formatToolCalls(page.rows, "csv"));
          return undefined;
        }
        return page;
      },
    });
  return [
    listCalls("/audit/calls", "Tool calls, newest first, with filters and cursor pagination"),
    listCalls("/audit", "Same as /audit/calls (kept for existing clients)"),
    defineRoute({
      method: "get",
      path: "/audit/events",
      tag: "audit",
      summary: "The hash-chained audit events, newest first",
      access: "reviewer",
      query: EventsQuery,
      async handler({ query }) {
        return asQuery(() => listAuditEvents(deps.database, { ...timeRange(query), type: query.type, actor: query.actor, callId: query.callId, upstream: query.upstream, tool: query.tool, limit: query.limit, cursor: query.cursor }));
      },
    }),
  ];
}

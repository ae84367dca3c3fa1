// /api/audit: the audit history, for reviewers and auditors.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { formatToolCalls, getCallStory, InvalidAuditQueryError, listAuditEvents, listCheckpoints, listToolCalls, parseExpectedHead, parseSince, verifyAudit } from "../../audit/index.ts";
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
      path: "/audit/calls/:id",
      tag: "audit",
      summary: "One call's whole story: who asked, arguments (redacted), rule, votes, what ran, the upstream's answer, timings, and whether the chain vouches for it",
      description: "The same object `gatehouse audit show <call-id>` prints and the dashboard's call page shows. Every fact comes from the hash-chained events; `integrity` says whether the stored rows agree with them.",
      access: "reviewer",
      params: z.object({ id: z.string().min(1).max(200) }),
      errors: [{ status: 404, code: "not_found", description: "No call with this id" }],
      async handler({ params }) {
        const story = await getCallStory(deps.database, params.id);
        if (!story) throw new ApiProblem(404, "not_found", `No call ${params.id} in the audit history`);
        return story;
      },
    }),
    defineRoute({
      method: "get",
      path: "/audit/verify",
      tag: "audit",
      summary: "Walk the audit chain end to end: head, an expected head, signed checkpoints, and every tool_calls/approvals row against its events",
      description: "`ok` is false when anything disagrees; `problems` lists each finding in one line. Checkpoints (the table, and the file this gateway writes them to, when it exists) are checked against this gateway's signing key; to trust other keys or check a checkpoint file you kept, run `gatehouse audit verify` offline.",
      access: "reviewer",
      query: z.object({ expectHead: z.string().optional().describe("<seq>:<hash> as verify printed it earlier: truncation or rewriting since then is reported") }),
      async handler({ query }) {
        const expectHead = query.expectHead === undefined ? undefined : await asQuery(async () => parseExpectedHead(query.expectHead!));
        const file = deps.auditCheckpointFile;
        const text = file ? await readFile(file, "utf8").catch(() => null) : null;
        const checkpointFiles = file && text !== null ? [{ source: file, text }] : [];
        return verifyAudit(deps.database, { expectHead, trustedKeys: [deps.auditKey], checkpointFiles });
      },
    }),
    defineRoute({
      method: "get",
      path: "/audit/checkpoints",
      tag: "audit",
      summary: "Signed checkpoints of the audit chain, newest first, and the public key that verifies them",
      access: "reviewer",
      query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) }),
      async handler({ query }) {
        const checkpoints = await listCheckpoints(deps.database, { limit: query.limit });
        return { publicKey: { keyId: deps.auditKey.keyId, pem: deps.auditKey.publicKeyPem }, checkpoints };
      },
    }),
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

// /api/policies: read, check, compare, try out and change each upstream's policy. Reading and trying out
// (validate, diff, dry run, effective decisions) is for reviewers too; saving and rolling back is the
// admin's, recorded as a version with the person who did it.
import type { Request } from "express";
import { z } from "zod";
import { isPolicyRefusal, type PolicyAdmin, type PolicyRefusal, type SaveSource } from "../../policies/index.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiProblem, defineRoute, type ApiRoute } from "./route.ts";

const Upstream = z.object({ upstream: z.string().min(1) });
const Content = z.string().min(1).max(1_000_000).describe("The whole policy document, as text (JSON)");
const Problem = z.object({ path: z.string().describe("JSON Pointer"), message: z.string(), line: z.number().int().optional(), column: z.number().int().optional() });

const Status = z
  .object({
    upstream: z.string(),
    file: z.string(),
    version: z.number().int().nullable().describe("Newest recorded version"),
    sha256: z.string().nullable().describe("SHA-256 of the policy in force"),
    isLoaded: z.boolean(),
    isCurrent: z.boolean().describe("The policy in force is the newest version"),
    errors: z.array(z.string()).nullable().describe("Why the last edit of the file was rejected"),
  })
  .meta({ id: "PolicyStatus" });

const Version = z
  .object({ upstream: z.string(), version: z.number().int(), sha256: z.string(), source: z.string(), createdBy: z.string(), comment: z.string().nullable(), restoredFrom: z.number().int().nullable(), createdAt: z.string() })
  .meta({ id: "PolicyVersion" });

const Saved = z.object({ ok: z.literal(true), upstream: z.string(), version: Version, isUnchanged: z.boolean(), isLoaded: z.boolean(), warnings: z.array(Problem) });

const REFUSALS = [
  { status: 404, code: "not_found", description: "No such upstream (or version)" },
  { status: 409, code: "version_conflict", description: "Someone saved since expectedVersion: reload, re-apply the edit" },
  { status: 422, code: "invalid_policy", description: "The content is not a valid policy (`errors` lists each problem with its JSON Pointer)" },
];

/** Refusals are values in the policy layer; on the wire they are problems with the same codes. */
function unwrap<T extends object>(result: T | PolicyRefusal): T {
  if (!isPolicyRefusal(result)) return result;
  switch (result.code) {
    case "not_found":
      throw new ApiProblem(404, "not_found", result.detail);
    case "version_conflict":
      throw new ApiProblem(409, "version_conflict", result.detail);
    case "invalid_policy":
      throw new ApiProblem(422, "invalid_policy", result.detail, result.issues.map((i) => ({ path: i.path, message: i.line ? `${i.message} (line ${i.line}, column ${i.column ?? 1})` : i.message })));
  }
}

function sourceOf(req: Request): SaveSource {
  return req.header("x-gatehouse-client") === "cli" ? "cli" : "api";
}

export function policyRoutes(deps: ApiDeps & { policyAdmin: PolicyAdmin }): ApiRoute[] {
  const admin = deps.policyAdmin;
  return [
    defineRoute({
      method: "get",
      path: "/policies",
      tag: "policies",
      summary: "Each upstream's policy: file, newest version, whether it is loaded",
      access: "reviewer",
      response: z.object({ policies: z.array(Status) }),
      handler: () => admin.list(),
    }),
    defineRoute({
      method: "get",
      path: "/policies/:upstream",
      tag: "policies",
      summary: "An upstream's policy text as on disk, with its version and status",
      access: "reviewer",
      params: Upstream,
      response: Status.extend({ content: z.string().nullable(), contentSha256: z.string().nullable(), contentVersion: z.number().int().nullable() }),
      errors: REFUSALS.slice(0, 1),
      async handler({ params }) {
        return unwrap(await admin.get(params.upstream));
      },
    }),
    defineRoute({
      method: "put",
      path: "/policies/:upstream",
      tag: "policies",
      summary: "Save a new version: validated, written atomically, in force on this gateway when the answer comes",
      description: "Send `expectedVersion` (the version the edit started from) to be refused with 409 instead of overwriting someone else's save. Other gateways on the same database follow within seconds.",
      access: "admin",
      params: Upstream,
      body: z.strictObject({ content: Content, expectedVersion: z.number().int().min(0).optional(), comment: z.string().max(2000).optional() }),
      response: Saved,
      errors: REFUSALS,
      async handler({ params, body, caller, req }) {
        return unwrap(await admin.save(params.upstream, body.content, { by: caller.person, comment: body.comment, expectedVersion: body.expectedVersion, source: sourceOf(req) }));
      },
    }),
    defineRoute({
      method: "post",
      path: "/policies/:upstream/validate",
      tag: "policies",
      summary: "Check a candidate policy without saving it",
      access: "reviewer",
      params: Upstream,
      body: z.strictObject({ content: Content }),
      response: z.object({ ok: z.boolean(), issues: z.array(Problem), warnings: z.array(Problem) }),
      errors: REFUSALS.slice(0, 1),
      async handler({ params, body }) {
        return unwrap(await admin.validate(params.upstream, body.content));
      },
    }),
    defineRoute({
      method: "post",
      path: "/policies/:upstream/diff",
      tag: "policies",
      summary: "Unified diff of a candidate against the newest version, with a summary of changed tools",
      access: "reviewer",
      params: Upstream,
      body: z.strictObject({ content: Content }),
      response: z.object({ ok: z.literal(true), upstream: z.string(), fromVersion: z.number().int().nullable(), diff: z.string(), summary: z.unknown().nullable() }),
      errors: REFUSALS.slice(0, 1),
      async handler({ params, body }) {
        return unwrap(await admin.diff(params.upstream, body.content));
      },
    }),
    defineRoute({
      method: "post",
      path: "/policies/:upstream/dry-run",
      tag: "policies",
      summary: "What a candidate would have decided for the last N audited calls, and which decisions change",
      access: "reviewer",
      params: Upstream,
      body: z.strictObject({ content: Content, limit: z.number().int().min(1).max(1000).optional() }),
      response: z.object({ ok: z.literal(true), upstream: z.string(), checked: z.number().int(), limit: z.number().int(), changed: z.array(z.unknown()), totals: z.unknown(), notes: z.array(z.string()) }),
      errors: REFUSALS,
      async handler({ params, body }) {
        return unwrap(await admin.dryRun(params.upstream, body.content, { limit: body.limit }));
      },
    }),
    defineRoute({
      method: "get",
      path: "/policies/:upstream/effective",
      tag: "policies",
      summary: "Every tool of the upstream with its effective decision for a grant (or for no grant)",
      access: "reviewer",
      params: Upstream,
      query: z.object({ grant: z.string().optional().describe("Grant name; conditions on grant.* are decided for it") }),
      response: z.object({ ok: z.literal(true), upstream: z.string(), grant: z.unknown().nullable(), version: z.number().int().nullable(), isLoaded: z.boolean(), tools: z.array(z.unknown()), toolsError: z.string().nullable() }),
      errors: REFUSALS.slice(0, 1),
      async handler({ params, query }) {
        return unwrap(await admin.effective(params.upstream, query.grant ?? null));
      },
    }),
    defineRoute({
      method: "post",
      path: "/policies/:upstream/effective",
      tag: "policies",
      summary: "Effective decisions of a candidate policy (not saved) for a grant",
      access: "reviewer",
      params: Upstream,
      body: z.strictObject({ content: Content, grant: z.string().optional() }),
      errors: REFUSALS,
      async handler({ params, body }) {
        return unwrap(await admin.effective(params.upstream, body.grant ?? null, { content: body.content }));
      },
    }),
    defineRoute({
      method: "get",
      path: "/policies/:upstream/versions",
      tag: "policies",
      summary: "Every saved version, newest first",
      access: "reviewer",
      params: Upstream,
      response: z.object({ ok: z.literal(true), upstream: z.string(), versions: z.array(Version) }),
      errors: REFUSALS.slice(0, 1),
      async handler({ params }) {
        return unwrap(await admin.history(params.upstream));
      },
    }),
    defineRoute({
      method: "get",
      path: "/policies/:upstream/versions/:version",
      tag: "policies",
      summary: "One version with its content",
      access: "reviewer",
      params: Upstream.extend({ version: z.coerce.number().int().min(1) }),
      response: Version.extend({ content: z.string() }),
      errors: REFUSALS.slice(0, 1),
      async handler({ params }) {
        return unwrap(await admin.version(params.upstream, params.version));
      },
    }),
    defineRoute({
      method: "post",
      path: "/policies/:upstream/rollback",
      tag: "policies",
      summary: "Restore an earlier version (recorded as a new version)",
      access: "admin",
      params: Upstream,
      body: z.strictObject({ version: z.number().int().min(1), expectedVersion: z.number().int().min(0).optional(), comment: z.string().max(2000).optional() }),
      response: Saved,
      errors: REFUSALS,
      async handler({ params, body, caller }) {
        return unwrap(await admin.rollback(params.upstream, body.version, { by: caller.person, comment: body.comment, expectedVersion: body.expectedVersion }));
      },
    }),
  ];
}

// The policy on a resource or prompt a client names: hidden ones are answered as if they did not exist,
// denied ones are refused with the reason. A read or a get is audited like a tool call's decision, the
// allowed one before it is forwarded (no audit, no read); contents are never stored.
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { AuditWriter } from "../../audit/index.ts";
import type { Logger } from "../../log/index.ts";
import { decidePrompt, decideResource, type AccessKind } from "../../policy/index.ts";
import type { CallerContext } from "../gateway.ts";
import type { PolicySource } from "../policies.ts";
import { deniedByPolicy } from "./errors.ts";

export interface AccessDeps {
  policies: PolicySource;
  audit: AuditWriter;
  logger: Logger;
}

export interface AccessRequest {
  kind: AccessKind;
  upstream: string;
  /** The upstream's own URI (or URI template) or prompt name. */
  name: string;
  context: CallerContext;
  /** Reads and gets are audited; lists, subscriptions and completions follow the same decision unaudited. */
  isAudited: boolean;
}

export type Access = { kind: "allow" | "deny" | "hide"; rule: string | null; reason: string };

export function decideAccess(policies: PolicySource, kind: AccessKind, upstream: string, name: string): Access {
  const policy = policies.current(upstream);
  if (!policy) return { kind: "deny", rule: null, reason: `No valid policy is loaded for upstream "${upstream}"; every ${kind} of it is denied.` };
  return kind === "resource" ? decideResource(policy, name) : decidePrompt(policy, name);
}

/** Resolves when the request may go on; throws the client's answer otherwise (`notFound()` for hidden). */
export async function enforceAccess(deps: AccessDeps, request: AccessRequest, notFound: () => Error): Promise<void> {
  const decision = decideAccess(deps.policies, request.kind, request.upstream, request.name);
  if (request.isAudited) await auditAccess(deps, request, decision);
  if (decision.kind === "hide") throw notFound();
  if (decision.kind === "deny") throw deniedByPolicy(decision.reason, decision.rule);
}

const EVENT_VERBS: Record<AccessKind, string> = { resource: "read", prompt: "get" };

async function auditAccess(deps: AccessDeps, request: AccessRequest, decision: Access): Promise<void> {
  const { context } = request;
  const verb = decision.kind === "allow" ? EVENT_VERBS[request.kind] : decision.kind === "deny" ? "denied" : "hidden";
  const entry = {
    event: {
      type: `${request.kind}.${verb}`,
      actor: `grant:${context.grant.name}`,
      upstream: request.upstream,
      decision: decision.kind,
      rule: decision.rule,
      reason: decision.reason,
      data: { sessionId: context.sessionId, [request.kind === "resource" ? "uri" : "prompt"]: request.name, ...(context.client ? { client: context.client } : {}) },
    },
  };
  try {
    await deps.audit.record(entry);
  } catch (error) {
    deps.logger.error({ upstream: request.upstream, kind: request.kind, err: (error as Error).message }, `could not audit a ${request.kind} ${verb}`);
    // A refusal stands without its row; an allowed read does not happen unrecorded.
    if (decision.kind === "allow") {
      throw new McpError(ErrorCode.InternalError, `Refused: Gatehouse's audit log is unavailable, so this ${request.kind} ${EVENT_VERBS[request.kind]} cannot be recorded. Nothing was sent to the upstream; try again shortly.`);
    }
  }
}

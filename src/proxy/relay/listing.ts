// resources/list, resources/templates/list and prompts/list across upstreams, one upstream page per
// client page. The client's cursor names the upstream and that upstream's own cursor, so paging is as
// lazy as each upstream's and no list is held in memory; items the policy does not allow are left out
// (a page may come back empty with a nextCursor, which the protocol allows).
import { ErrorCode, McpError, type Result } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../log/index.ts";
import type { CompiledPolicy } from "../../policy/index.ts";
import type { Origin } from "../origin.ts";
import type { PolicySource } from "../policies.ts";
import type { UpstreamConnection } from "../upstream.ts";
import { isRecord } from "./content.ts";
import { relayedError } from "./errors.ts";

export interface ListPlan {
  method: "resources/list" | "resources/templates/list" | "prompts/list";
  field: "resources" | "resourceTemplates" | "prompts";
  capability: "resources" | "prompts";
  /** What the client sees of one upstream item, or null to leave it out. */
  expose(upstream: string, policy: CompiledPolicy, item: Record<string, unknown>): Record<string, unknown> | null;
}

export interface ListDeps {
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  policies: PolicySource;
  logger: Logger;
}

export async function listAcross(deps: ListDeps, plan: ListPlan, cursor: string | undefined, options: { origin: Origin; signal: AbortSignal }): Promise<Result> {
  // An upstream without a valid policy lists nothing (fail closed); one that never offered the kind is not asked.
  const eligible = [...deps.upstreams.values()].filter((u) => u.capabilities()?.[plan.capability] && deps.policies.current(u.name));
  let position = cursor === undefined ? { index: 0, cursor: undefined as string | undefined } : decodeCursor(cursor, eligible);
  while (position.index < eligible.length) {
    const upstream = eligible[position.index]!;
    const next = { index: position.index + 1, cursor: undefined };
    // With several upstreams a down one is skipped, as tools/list does; alone, its error is the answer.
    if (eligible.length > 1 && upstream.status().state !== "ready") {
      position = next;
      continue;
    }
    let page: Result;
    try {
      page = await upstream.request({ method: plan.method, params: position.cursor === undefined ? {} : { cursor: position.cursor } }, options);
    } catch (error) {
      if (eligible.length === 1) throw relayedError(error, upstream.name);
      deps.logger.warn({ upstream: upstream.name, method: plan.method, err: (error as Error).message }, "list failed; upstream omitted");
      position = next;
      continue;
    }
    const policy = deps.policies.current(upstream.name);
    const items = Array.isArray(page[plan.field]) ? (page[plan.field] as unknown[]) : [];
    const exposed = policy ? items.filter(isRecord).flatMap((item) => plan.expose(upstream.name, policy, item) ?? []) : [];
    const { nextCursor: upstreamCursor, ...rest } = page;
    const following = typeof upstreamCursor === "string" ? { index: position.index, cursor: upstreamCursor } : next;
    const nextCursor = following.index < eligible.length ? encodeCursor(eligible[following.index]!.name, following.cursor) : undefined;
    return { ...rest, [plan.field]: exposed, ...(nextCursor !== undefined && { nextCursor }) };
  }
  return { [plan.field]: [] };
}

function encodeCursor(upstream: string, cursor: string | undefined): string {
  return Buffer.from(JSON.stringify([upstream, cursor ?? null])).toString("base64url");
}

function decodeCursor(cursor: string, eligible: readonly UpstreamConnection[]): { index: number; cursor: string | undefined } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = null;
  }
  if (Array.isArray(decoded) && decoded.length === 2 && (typeof decoded[1] === "string" || decoded[1] === null)) {
    const index = eligible.findIndex((u) => u.name === decoded[0]);
    if (index !== -1) return { index, cursor: decoded[1] ?? undefined };
  }
  throw new McpError(ErrorCode.InvalidParams, "Invalid cursor");
}

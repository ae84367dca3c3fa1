// /api/upstreams: the MCP servers behind the gateway, their connection state and their tools.
import { z } from "zod";
import type { ApiDeps } from "./deps.ts";
import { ApiProblem, defineRoute, type ApiRoute } from "./route.ts";

const UpstreamView = z
  .object({
    name: z.string(),
    state: z.string().describe("connecting | ready | reconnecting | closed"),
    pid: z.number().int().nullable().describe("Process id of a stdio upstream"),
    restarts: z.number().int(),
    lastError: z.string().nullable(),
    toolCount: z.number().int(),
    policy: z.object({ file: z.string(), isLoaded: z.boolean(), errors: z.array(z.string()).nullable() }).nullable(),
  })
  .meta({ id: "Upstream" });

const ToolView = z.object({ name: z.string(), title: z.string().nullable(), description: z.string().nullable(), inputSchema: z.unknown(), annotations: z.unknown().nullable() });

export function upstreamRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/upstreams",
      tag: "upstreams",
      summary: "Upstream MCP servers with their connection state and policy status",
      access: "reviewer",
      response: z.object({ upstreams: z.array(UpstreamView) }),
      async handler() {
        const policies = new Map(deps.policies.status().map((p) => [p.upstream, p]));
        // The count comes from the last tool list; fetch it for connected upstreams no agent has listed yet.
        const unlisted = [...deps.upstreams.values()].filter((u) => u.status().state === "ready" && u.cachedTools() === null);
        await Promise.all(unlisted.map((u) => u.listTools().catch(() => null)));
        return {
          upstreams: [...deps.upstreams.values()].map((upstream) => {
            const status = upstream.status();
            const policy = policies.get(upstream.name);
            return {
              name: status.name,
              state: status.state,
              pid: status.pid,
              restarts: status.restarts,
              lastError: status.lastError,
              toolCount: status.tools,
              policy: policy ? { file: policy.file, isLoaded: policy.isLoaded, errors: policy.errors } : null,
            };
          }),
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/upstreams/:name/tools",
      tag: "upstreams",
      summary: "The tools an upstream offers (its own names, before namespacing)",
      access: "reviewer",
      params: z.object({ name: z.string() }),
      response: z.object({ tools: z.array(ToolView), isCached: z.boolean().describe("True when the upstream is down and the last known list is shown") }),
      errors: [{ status: 404, code: "not_found", description: "No such upstream" }],
      async handler({ params }) {
        const upstream = deps.upstreams.get(params.name);
        if (!upstream) throw new ApiProblem(404, "not_found", `No upstream named "${params.name}"`);
        const isReady = upstream.status().state === "ready";
        const tools = isReady ? await upstream.listTools() : (upstream.cachedTools() ?? []);
        return {
          isCached: !isReady,
          tools: tools.map((t) => ({ name: t.name, title: t.title ?? null, description: t.description ?? null, inputSchema: t.inputSchema, annotations: t.annotations ?? null })),
        };
      },
    }),
  ];
}

// /api/policies: the policy of each upstream.
import { z } from "zod";
import type { ApiDeps } from "./deps.ts";
import { defineRoute, type ApiRoute } from "./route.ts";

export function policyRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/policies",
      tag: "policies",
      summary: "Each upstream's policy file and whether it is loaded",
      access: "reviewer",
      response: z.object({ policies: z.array(z.object({ upstream: z.string(), file: z.string(), isLoaded: z.boolean(), errors: z.array(z.string()).nullable() })) }),
      async handler() {
        return { policies: deps.policies.status() };
      },
    }),
  ];
}

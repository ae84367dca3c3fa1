// /api/me and /api/openapi.json.
import { z } from "zod";
import { defineRoute, type ApiRoute } from "./route.ts";

export function meRoute(): ApiRoute {
  return defineRoute({
    method: "get",
    path: "/me",
    tag: "session",
    summary: "Who this credential is: the person votes count as, and the role",
    access: "reviewer",
    response: z.object({
      person: z.string(),
      role: z.enum(["admin", "reviewer"]),
      displayName: z.string(),
      via: z.enum(["admin_token", "reviewer_token", "session"]),
      csrfToken: z.string().nullable().describe("For session callers: the token state changes must send as X-CSRF-Token"),
    }),
    async handler({ caller }) {
      return { person: caller.person, role: caller.role, displayName: caller.displayName, via: caller.via, csrfToken: caller.session?.csrfToken ?? null };
    },
  });
}

export function openApiRoute(document: () => unknown): ApiRoute {
  return defineRoute({
    method: "get",
    path: "/openapi.json",
    tag: "meta",
    summary: "This document (OpenAPI 3.1)",
    access: "public",
    async handler() {
      return document();
    },
  });
}

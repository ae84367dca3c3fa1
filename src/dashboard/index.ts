// The web dashboard at `/`: server-rendered pages for people who review and operate the gateway.
import express, { Router, type Request, type Response } from "express";
import type { AuditWriter } from "../audit/index.ts";
import type { DashboardConfig } from "../config/index.ts";
import { authenticateCaller, csrfProblem, type Caller, type CallerDeps } from "../http/callers.ts";
import type { Logger } from "../log/index.ts";
import type { Sealer } from "../secrets/index.ts";
import type { SessionStore } from "../sessions/index.ts";
import { html, type Markup } from "./html.ts";
import { layout } from "./layout.ts";
import { createOidcSignOn } from "./oidc.ts";
import { createSignInRouter } from "./sign-in.ts";

export interface DashboardDeps extends CallerDeps {
  sessions: SessionStore;
  sessionTtlMs: number;
  secureCookies: boolean | undefined;
  // Single sign-on (dashboard.oidc): its flow cookie is sealed with the gateway's key, sign-ins are audited.
  dashboard: DashboardConfig;
  audit: AuditWriter;
  logger: Logger;
  sealer: Sealer;
}

export function createDashboardRouter(deps: DashboardDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: "1mb" }));
  const page = (title: string, body: Markup) => layout(title, body);
  const oidc = deps.dashboard.oidc ? createOidcSignOn({ ...deps, oidc: deps.dashboard.oidc, publicUrl: deps.dashboard.publicUrl, page }) : null;
  router.use(createSignInRouter({ ...deps, page, alternatives: oidc?.signInOption }));
  if (oidc) router.use(oidc.router);

  // Every other page needs a signed-in person; state changes also need the CSRF token.
  router.use(async (req, res, next) => {
    const caller = await authenticateCaller(req, deps);
    if (!caller) return void res.redirect(303, `/sign-in`);
    const csrf = csrfProblem(req, caller);
    if (csrf) return void res.status(403).type("html").send(String(layout("Refused", html`<p class="notice error">${csrf}</p>`, caller)));
    res.locals.caller = caller;
    next();
  });

  router.get("/", (_req: Request, res: Response) => {
    const caller = res.locals.caller as Caller;
    res.type("html").send(String(layout("Pending approvals", html`<h1>Pending approvals</h1>`, caller)));
  });
  return router;
}

// The web dashboard at `/`: server-rendered pages for people who review and operate the gateway. Every page
// works as plain HTML forms (POST, then redirect); assets/dashboard/dashboard.js adds live updates on top.
import express, { Router, type NextFunction, type Request, type Response } from "express";
import type { ApprovalCore } from "../approvals/index.ts";
import type { AuditWriter } from "../audit/index.ts";
import type { DashboardConfig } from "../config/index.ts";
import type { Database } from "../db/index.ts";
import type { GrantStore } from "../grants/index.ts";
import { authenticateCaller, csrfProblem, type Caller, type CallerDeps } from "../http/callers.ts";
import type { Logger } from "../log/index.ts";
import type { PolicySource, UpstreamConnection } from "../proxy/index.ts";
import type { Sealer } from "../secrets/index.ts";
import type { SessionStore } from "../sessions/index.ts";
import { createApprovalPages } from "./approvals.ts";
import { createAssetRouter } from "./assets.ts";
import { createAuditPages } from "./audit.ts";
import { createCallPage } from "./call.ts";
import { createGrantPages } from "./grants.ts";
import { html, type Markup } from "./html.ts";
import { layout, sendHtml, sendPage } from "./layout.ts";
import { notFound } from "./not-found.ts";
import { createOidcSignOn } from "./oidc.ts";
import { createPolicyPages, type PolicyPagesDeps } from "./policies.ts";
import { createReviewerPages } from "./reviewers.ts";
import { createSignInRouter } from "./sign-in.ts";

export { sendHtml } from "./layout.ts";
export type { Markup } from "./html.ts";

export interface DashboardDeps extends CallerDeps, PolicyPagesDeps {
  sessions: SessionStore;
  sessionTtlMs: number;
  secureCookies: boolean | undefined;
  approvals: ApprovalCore;
  audit: AuditWriter;
  grants: GrantStore;
  database: Database;
  policies: PolicySource;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  logger: Logger;
  // Single sign-on (dashboard.oidc): its flow cookie is sealed with the gateway's key, sign-ins are audited.
  dashboard: DashboardConfig;
  sealer: Sealer;
}

/** Requests the page script makes for a fragment: an expired session gets 401, not the sign-in page. */
const FRAGMENT_HEADER = "x-gatehouse-fragment";

export function createDashboardRouter(deps: DashboardDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: "1mb" }));
  router.use(createAssetRouter());
  const page = (title: string, body: Markup) => layout(title, body);
  const oidc = deps.dashboard.oidc ? createOidcSignOn({ ...deps, oidc: deps.dashboard.oidc, publicUrl: deps.dashboard.publicUrl, page }) : null;
  router.use(createSignInRouter({ ...deps, page, alternatives: oidc?.signInOption }));
  if (oidc) router.use(oidc.router);

  // Every other page needs a signed-in person; state changes also need the CSRF token.
  router.use(async (req, res, next) => {
    const caller = await authenticateCaller(req, deps);
    if (!caller) {
      if (req.header(FRAGMENT_HEADER)) return void res.status(401).type("text").send("Your session ended: sign in again.");
      return void res.redirect(303, `/sign-in`);
    }
    res.locals.caller = caller;
    const csrf = csrfProblem(req, caller);
    if (csrf) return refuse(req, res, csrf);
    next();
  });

  router.use(createApprovalPages(deps));
  router.use(createAuditPages({ database: deps.database, upstreamNames: () => [...deps.upstreams.keys()].sort() }));
  router.use(createCallPage(deps));
  router.use(createPolicyPages(deps));
  router.use(createGrantPages(deps));
  router.use(createReviewerPages(deps));
  router.use((req, res) => notFound(req, res));
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (isBodyParserError(error)) return next(error);
    deps.logger.error({ err: error, path: req.path }, "dashboard page failed");
    showFailure(req, res);
  });
  return router;
}

function refuse(req: Request, res: Response, why: string): void {
  sendPage(req, res, {
    title: "Refused",
    status: 403,
    body: html`<section class="message-page"><p class="message-code">403</p><h1>Nothing was changed</h1><p class="notice error" role="alert">${why}</p><p><a class="button" href="/">Back to the dashboard</a></p></section>`,
  });
}

function showFailure(req: Request, res: Response): void {
  const caller = (res.locals.caller as Caller | undefined) ?? null;
  sendHtml(
    res,
    500,
    layout(
      "Something went wrong",
      html`<section class="message-page"><p class="message-code">500</p><h1>This page could not be shown</h1><p>The gateway could not read what this page needs (its storage may be unavailable). Nothing was changed. Try again in a moment.</p><p><a class="button" href="">Try again</a></p></section>`,
      { caller },
    ),
  );
}

function isBodyParserError(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === "entity.parse.failed" || type === "entity.too.large";
}

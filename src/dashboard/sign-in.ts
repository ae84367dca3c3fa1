// Signing in to the dashboard: a person exchanges their own credential (a reviewer token, or the admin token)
// for a session cookie, and signs out again. The token is posted once and never kept; the session acts as
// the person the token belongs to. Single sign-on adds its own routes (oidc.ts) that end in the same place.
import { Router, type Request, type Response } from "express";
import { callerForToken, isSameOrigin, readCookie, type CallerDeps } from "../http/callers.ts";
import { SESSION_COOKIE, type SessionIdentity, type SessionStore } from "../sessions/index.ts";
import { html, type Markup } from "./html.ts";
import { sendHtml } from "./layout.ts";

export interface SignInDeps extends CallerDeps {
  sessions: SessionStore;
  sessionTtlMs: number;
  /** Mark the cookie Secure: true/false, or undefined to follow the request's protocol. */
  secureCookies: boolean | undefined;
  /** Extra sign-in options (single sign-on button), rendered under the token form. */
  alternatives?: () => Markup;
  /** Renders a page in the dashboard's layout. */
  page(title: string, body: Markup): Markup;
}

export function createSignInRouter(deps: SignInDeps): Router {
  const router = Router();

  router.get("/sign-in", (req, res) => {
    const error = typeof req.query.error === "string" ? req.query.error : null;
    sendHtml(res, 200, deps.page("Sign in", signInForm(error, deps.alternatives?.() ?? null)));
  });

  router.post("/auth/token", async (req, res) => {
    // A sign-in form posted from another site would sign the victim in as the attacker (login CSRF).
    const origin = req.header("origin");
    if (origin && !isSameOrigin(req, origin)) return void res.status(403).type("text").send("Cross-origin sign-in refused.");
    const token = typeof req.body?.token === "string" ? req.body.token.trim() : "";
    const caller = token ? await callerForToken(token, deps) : null;
    if (!caller) return void res.redirect(303, "/sign-in?error=" + encodeURIComponent("That token is not valid (unknown, or its reviewer was removed)."));
    const identity: SessionIdentity = {
      person: caller.person,
      role: caller.role,
      displayName: caller.displayName,
      via: caller.role === "admin" ? "admin_token" : "reviewer_token",
      reviewerId: caller.role === "admin" ? null : ((await deps.reviewers.authenticate(token))?.id ?? null),
      slackUserId: caller.voter.slackUserId,
    };
    await startSession(deps, req, res, identity);
    res.redirect(303, "/");
  });

  router.post("/auth/sign-out", async (req, res) => {
    const id = readCookie(req, SESSION_COOKIE);
    if (id) await deps.sessions.revoke(id);
    res.setHeader("set-cookie", cookie(req, deps, "", 0));
    res.redirect(303, "/sign-in");
  });

  return router;
}

/** Opens a session for this person and sets its cookie. */
export async function startSession(deps: Pick<SignInDeps, "sessions" | "sessionTtlMs" | "secureCookies">, req: Request, res: Response, identity: SessionIdentity): Promise<void> {
  const { id } = await deps.sessions.create(identity);
  res.append("set-cookie", cookie(req, deps, id, Math.floor(deps.sessionTtlMs / 1000)));
}

function cookie(req: Request, deps: Pick<SignInDeps, "secureCookies">, value: string, maxAgeSeconds: number): string {
  const secure = deps.secureCookies ?? req.secure;
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

function signInForm(error: string | null, alternatives: Markup | null): Markup {
  return html`<section class="sign-in" aria-labelledby="sign-in-title">
  <h1 id="sign-in-title">Sign in</h1>
  <p class="subtitle">Review held tool calls, the audit history and policies.</p>
  ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
  <form method="post" action="/auth/token">
    <div class="field">
      <label for="token">Your reviewer token, or the admin token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required autofocus aria-describedby="token-hint">
      <p class="field-hint" id="token-hint">A reviewer token comes from <code>gatehouse reviewers add &lt;name&gt;</code> or from an admin on the Reviewers page; it is shown once. Votes you cast here count as you.</p>
    </div>
    <button type="submit" class="button wide">Sign in</button>
  </form>
  ${alternatives ? html`<div class="sign-in-alternatives"><p class="divider"><span>or</span></p>${alternatives}</div>` : null}
</section>`;
}

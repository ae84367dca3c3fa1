// Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and nonce. What the callback
// must check travels in a short-lived cookie sealed with the gateway's key (AES-256-GCM, the key replicas
// already share), so any replica can finish a sign-in another one started, and nothing is kept server-side.
// The provider is discovered at start-up without waiting for it: a provider that is down leaves token sign-in
// working, shows why on the sign-in page, and is asked again at the next single sign-on attempt.
import { Router, type Request } from "express";
import * as client from "openid-client";
import type { AuditWriter } from "../audit/index.ts";
import type { DashboardConfig } from "../config/index.ts";
import { GatewayError } from "../errors.ts";
import { readCookie } from "../http/callers.ts";
import type { Logger } from "../log/index.ts";
import type { ReviewerStore } from "../reviewers/index.ts";
import type { Sealer } from "../secrets/index.ts";
import type { SessionIdentity } from "../sessions/index.ts";
import { html, type Markup } from "./html.ts";
import { decideAccess, identityFromClaims } from "./oidc-access.ts";
import { startSession, type SignInDeps } from "./sign-in.ts";

export const OIDC_FLOW_COOKIE = "gatehouse_oidc";
const FLOW_PATH = "/auth/oidc";
const FLOW_CONTEXT = "gatehouse.oidc.flow";
const FLOW_TTL_MS = 10 * 60_000;

export type OidcConfig = NonNullable<DashboardConfig["oidc"]>;

export interface OidcSignOnDeps extends Pick<SignInDeps, "sessions" | "sessionTtlMs" | "secureCookies" | "page"> {
  oidc: OidcConfig;
  /** Where people open the dashboard (behind a proxy); otherwise the request's own host. */
  publicUrl: string | undefined;
  reviewers: ReviewerStore;
  audit: AuditWriter;
  logger: Logger;
  sealer: Sealer;
  /** Seconds to wait for the provider on each request (discovery, token, userinfo). */
  timeoutSeconds?: number;
}

export interface OidcSignOn {
  /** GET /auth/oidc/start and GET /auth/oidc/callback. */
  router: Router;
  /** The sign-in page's button, with the provider's last failure when it could not be reached. */
  signInOption(): Markup;
}

/** What the callback checks, sealed into the flow cookie by /start. */
interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  startedAt: number;
}

export function createOidcSignOn(deps: OidcSignOnDeps): OidcSignOn {
  const provider = createProviderClient(deps);
  void provider.discover().catch((error: unknown) => deps.logger.warn({ issuer: deps.oidc.issuer, err: describeError(error) }, "single sign-on provider not reachable at start-up; will retry"));
  const router = Router();

  router.get(`${FLOW_PATH}/start`, async (req, res) => {
    let config: client.Configuration;
    try {
      config = await provider.discover();
    } catch {
      // The sign-in page shows why (signInOption), next to the token form.
      return void res.redirect(303, "/sign-in");
    }
    const redirectUri = callbackUrl(deps.publicUrl ?? `${req.protocol}://${req.header("host") ?? "localhost"}`);
    const flow: Flow = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), redirectUri, startedAt: Date.now() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: flow.redirectUri,
      scope: deps.oidc.scopes.join(" "),
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: "S256",
      state: flow.state,
      nonce: flow.nonce,
    });
    res.append("set-cookie", flowCookie(req, deps, deps.sealer.seal(JSON.stringify(flow), FLOW_CONTEXT), FLOW_TTL_MS / 1000));
    res.redirect(303, url.href);
  });

  router.get(`${FLOW_PATH}/callback`, async (req, res) => {
    // The flow is single-use in this browser: its cookie goes whatever happens next.
    res.append("set-cookie", flowCookie(req, deps, "", 0));
    const refuse = (status: number, message: string) => void res.status(status).type("html").send(String(deps.page("Sign-in refused", refusalPage(message))));
    const flow = readFlow(req, deps.sealer);
    if (!flow) return refuse(400, "No single sign-on is in progress in this browser (it already finished, took longer than 10 minutes, or was started in another browser). Start again from the sign-in page.");
    const query = new URL(req.originalUrl, "http://callback.invalid").searchParams;
    // State first: an error answer is shown only when it belongs to this browser's sign-in.
    if (query.get("state") !== flow.state) {
      deps.logger.warn({ path: req.path }, "single sign-on callback with a state that does not match this browser's sign-in");
      return refuse(400, "This sign-in answer does not belong to the sign-in this browser started (its state does not match), so it was refused. Start again from the sign-in page.");
    }
    const providerError = query.get("error");
    if (providerError) return refuse(403, `The provider did not sign you in: ${query.get("error_description") ?? providerError}.`);
    let claims: Record<string, unknown>;
    try {
      claims = await exchangeCode(await provider.discover(), flow, query, deps.oidc.identityClaim);
    } catch (error) {
      deps.logger.warn({ err: describeError(error) }, "single sign-on callback refused");
      return refuse(error instanceof client.ResponseBodyError ? 403 : 502, explainCallbackError(error, provider.unavailable()));
    }
    const who = identityFromClaims(claims, deps.oidc.identityClaim);
    const access = who.ok ? decideAccess(who.identity, await deps.reviewers.findByOidcIdentity(who.identity), deps.oidc) : who;
    const subject = typeof claims.sub === "string" ? claims.sub : null;
    if (!access.ok) {
      await deps.audit.record({ event: { type: "session.refused", actor: who.identity ? `oidc:${who.identity}` : "anonymous", reason: access.reason, data: { via: "oidc", issuer: deps.oidc.issuer, identity: who.identity, subject } } });
      return refuse(403, access.reason);
    }
    const session: SessionIdentity = access.session;
    const data = { via: "oidc", issuer: deps.oidc.issuer, identity: session.displayName, subject, role: session.role, reviewerId: session.reviewerId };
    await deps.audit.record({ event: { type: "session.signed_in", actor: session.person, data } });
    await startSession(deps, req, res, session);
    res.redirect(303, "/");
  });

  return {
    router,
    signInOption() {
      const problem = provider.unavailable();
      return html`<div class="sign-in-sso">
  <a class="button" href="${FLOW_PATH}/start">${deps.oidc.label}</a>
  ${problem ? html`<p class="notice error" role="status">${problem}</p>` : null}
</div>`;
    },
  };
}

/**
 * Token request with the sealed checks, then the claims: the ID token's, or the userinfo endpoint's when the ID
 * token lacks the identity (providers often keep email and profile claims there when an access token is issued).
 */
async function exchangeCode(config: client.Configuration, flow: Flow, query: URLSearchParams, identityClaim: string): Promise<Record<string, unknown>> {
  const currentUrl = new URL(flow.redirectUri);
  currentUrl.search = query.toString();
  const tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
  const idClaims: Record<string, unknown> = { ...tokens.claims() };
  const isComplete = idClaims[identityClaim] !== undefined && (identityClaim !== "email" || idClaims.email_verified !== undefined);
  if (isComplete || !config.serverMetadata().userinfo_endpoint) return idClaims;
  const sub = String(idClaims.sub);
  return { ...idClaims, ...(await client.fetchUserInfo(config, tokens.access_token, sub)), sub };
}

interface ProviderClient {
  /** The provider's configuration, discovered once; a failure is forgotten so the next call asks again. */
  discover(): Promise<client.Configuration>;
  /** Why the provider is unavailable, as a sentence for the sign-in page; null when it answered last time. */
  unavailable(): string | null;
}

function createProviderClient(deps: OidcSignOnDeps): ProviderClient {
  const { issuer, clientId, clientSecret } = deps.oidc;
  const issuerUrl = new URL(issuer);
  const isLoopbackHttp = issuerUrl.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(issuerUrl.hostname);
  if (issuerUrl.protocol !== "https:" && !isLoopbackHttp) {
    throw new GatewayError("config_invalid", `dashboard.oidc.issuer must use https (http is accepted only on a loopback address, for local testing): ${issuer}`);
  }
  const auth = clientSecret ? client.ClientSecretBasic(clientSecret) : client.None();
  let current: Promise<client.Configuration> | null = null;
  let failure: string | null = null;
  return {
    discover() {
      current ??= client.discovery(issuerUrl, clientId, undefined, auth, { execute: isLoopbackHttp ? [client.allowInsecureRequests] : [], timeout: deps.timeoutSeconds ?? 10 }).then(
        (config) => {
          failure = null;
          return config;
        },
        (error: unknown) => {
          current = null;
          failure = `Single sign-on is unavailable: the provider at ${issuer} could not be reached (${describeError(error)}). Sign in with a token instead, or try again in a moment.`;
          throw error;
        },
      );
      return current;
    },
    unavailable: () => failure,
  };
}

/** The callback URL the provider sends people back to (register it with the provider), under the dashboard's base URL. */
export function callbackUrl(base: string): string {
  return new URL(`${FLOW_PATH.slice(1)}/callback`, base.endsWith("/") ? base : `${base}/`).href;
}

function readFlow(req: Request, sealer: Sealer): Flow | null {
  const sealed = readCookie(req, OIDC_FLOW_COOKIE);
  if (!sealed) return null;
  const opened = sealer.open(sealed, FLOW_CONTEXT);
  if (!opened.ok) return null;
  const flow = JSON.parse(opened.plaintext) as Flow;
  return Date.now() - flow.startedAt <= FLOW_TTL_MS ? flow : null;
}

function flowCookie(req: Request, deps: Pick<SignInDeps, "secureCookies">, value: string, maxAgeSeconds: number): string {
  const secure = deps.secureCookies ?? req.secure;
  // SameSite=Lax: the provider sends the browser back with a top-level GET, which carries Lax cookies.
  return `${OIDC_FLOW_COOKIE}=${encodeURIComponent(value)}; Path=${FLOW_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

function explainCallbackError(error: unknown, unavailable: string | null): string {
  if (error instanceof client.ResponseBodyError) {
    return `The provider refused the sign-in (${error.error}${error.error_description ? `: ${error.error_description}` : ""}); a sign-in answer can be used only once. Start again from the sign-in page.`;
  }
  if (unavailable) return unavailable;
  if (isNetworkError(error)) return `The provider could not be reached to finish the sign-in (${describeError(error)}). Try again in a moment, or sign in with a token.`;
  return `The provider's answer could not be verified (${describeError(error)}), so the sign-in was refused. Start again from the sign-in page.`;
}

function isNetworkError(error: unknown): boolean {
  const e = error as { name?: string; cause?: { code?: unknown } };
  return typeof e.cause?.code === "string" || e.name === "TimeoutError" || e.name === "AbortError";
}

/** An error as one short phrase, with the network cause when there is one (never a token: none is in these). */
function describeError(error: unknown): string {
  const e = error as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return [e.message ?? String(error), cause].filter(Boolean).join(": ");
}

function refusalPage(message: string): Markup {
  return html`<section class="sign-in">
  <h1>Sign-in refused</h1>
  <p class="notice error" role="alert">${message}</p>
  <p><a href="/sign-in">Back to sign-in</a></p>
</section>`;
}

// A real OpenID Connect provider (the oidc-provider package) on a loopback port, and a cookie-keeping fetch
// "browser" that walks its sign-in forms the way a person does: follow redirects, fill in the login form,
// press Continue on the consent screen. The provider's development interactions accept any password; who
// signs in is the login typed, looked up in `accounts`.
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Registers the gateway's callback URL and starts answering. Until then requests wait (so a gateway that
   * discovers the provider while starting gets its answer once the provider is configured).
   */
  register(redirectUri: string): void;
  close(): Promise<void>;
}

export async function startOidcProvider(options: { accounts: Record<string, TestAccount>; port?: number; clientSecret?: string }): Promise<TestOidcProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "gatehouse-dashboard";
  const clientSecret = options.clientSecret ?? "test-client-secret-of-32-characters!";
  let markReady!: (handler: ReturnType<Provider["callback"]>) => void;
  const ready = new Promise<ReturnType<Provider["callback"]>>((resolve) => (markReady = resolve));
  server.on("request", (req, res) => void ready.then((handle) => handle(req, res)));
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  return {
    issuer,
    clientId,
    clientSecret,
    register(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ["authorization_code"], response_types: ["code"] }],
        jwks: { keys: [{ ...signingKey, kid: "test", use: "sig" }] },
        cookies: { keys: ["oidc-provider-test-cookie-key"] },
        claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
        pkce: { required: () => true },
        async findAccount(_ctx: unknown, sub: string) {
          const account = options.accounts[sub];
          return account ? { accountId: sub, claims: async () => ({ sub, ...account }) } : undefined;
        },
      });
      markReady(provider.callback());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Page {
  url: string;
  status: number;
  text: string;
}

/** fetch with a cookie jar per origin, following redirects by hand (so a test can stop at any URL). */
export class CookieBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  /** One request, no redirect followed; cookies sent and stored. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookies = this.cookies(target.origin);
    if (cookies.size > 0) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers.origin ??= target.origin;
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      headers.origin ??= target.origin;
      body = JSON.stringify(init.json);
    }
    const response = await fetch(target, { method: init.method ?? (body ? "POST" : "GET"), headers, body, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) this.store(target.origin, line);
    return response;
  }

  /** Follows redirects from `url` until a page answers, or until `stopAt` matches the next URL (returned unvisited, status 0). */
  async follow(url: string, init: { form?: Record<string, string>; stopAt?: (url: string) => boolean } = {}): Promise<Page> {
    let current = url;
    let response = await this.request(current, { form: init.form });
    for (let hops = 0; response.status >= 300 && response.status < 400; hops += 1) {
      if (hops > 20) throw new Error(`too many redirects from ${url}`);
      current = new URL(response.headers.get("location")!, current).href;
      if (init.stopAt?.(current)) return { url: current, status: 0, text: "" };
      response = await this.request(current);
    }
    return { url: current, status: response.status, text: await response.text() };
  }

  /** The cookies this browser holds for an origin (name → value). */
  cookies(origin: string): Map<string, string> {
    let cookies = this.jar.get(origin);
    if (!cookies) this.jar.set(origin, (cookies = new Map()));
    return cookies;
  }

  private store(origin: string, line: string): void {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    const isGone = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
    if (isGone) this.cookies(origin).delete(name);
    else this.cookies(origin).set(name, pair.slice(eq + 1));
  }
}

/** The action of the first form on an HTML page. */
export function formAction(page: Page): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(page.text);
  if (!match) throw new Error(`no form on ${page.url} (${page.status}): ${page.text.slice(0, 300)}`);
  return new URL(match[1]!.replaceAll("&amp;", "&"), page.url).href;
}

/**
 * Starts single sign-on on the gateway and signs in at the provider as `login` (login form, then consent), unless
 * this browser is still signed in there.
 * Returns the gateway's callback URL, not yet visited, so a test can visit, alter or replay it.
 */
export async function signInAtProvider(browser: CookieBrowser, gatewayUrl: string, login: string): Promise<string> {
  const isCallback = (url: string) => url.startsWith(`${gatewayUrl}/auth/oidc/callback`);
  const loginPage = await browser.follow(`${gatewayUrl}/auth/oidc/start`, { stopAt: isCallback });
  // Already signed in at the provider (its own session cookie): it sends the browser straight back.
  if (isCallback(loginPage.url)) return loginPage.url;
  if (loginPage.status !== 200) throw new Error(`expected the provider's login page, got ${loginPage.status} at ${loginPage.url}`);
  let page = await browser.follow(formAction(loginPage), { form: { prompt: "login", login, password: "any" }, stopAt: isCallback });
  if (page.status === 200 && /name="prompt" value="consent"/.test(page.text)) page = await browser.follow(formAction(page), { form: { prompt: "consent" }, stopAt: isCallback });
  if (!isCallback(page.url)) throw new Error(`the provider did not send the browser back to the gateway: ${page.status} at ${page.url}: ${page.text.slice(0, 300)}`);
  return page.url;
}

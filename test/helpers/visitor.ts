// A browser without JavaScript, for the dashboard's HTTP tests: one person's cookies (the session, the one-time
// message after a post), their CSRF token, and forms posted the way a browser posts them.
import assert from "node:assert/strict";

/** A browser's cookies for one person: the session, and the one-time message after a post. */
export class Visitor {
  readonly cookies = new Map<string, string>();
  csrf = "";
  constructor(private readonly base: () => string) {}

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      if (attributes.some((a) => /max-age=0/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
  }

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await fetch(`${this.base()}${path}`, {
      method,
      redirect: "manual",
      headers: { ...(cookie ? { cookie } : {}), ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}), ...headers },
      body: form ? new URLSearchParams(form) : undefined,
    });
    this.remember(response);
    return { status: response.status, location: response.headers.get("location"), type: response.headers.get("content-type") ?? "", headers: response.headers, text: await response.text() };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request("GET", path, undefined, headers);
  }

  /** Posts a form with the session's CSRF token (unless `_csrf` is given) and follows the redirect, if any. */
  async post(path: string, form: Record<string, string> = {}) {
    const posted = await this.request("POST", path, { _csrf: this.csrf, ...form });
    const next = posted.status === 303 && posted.location ? await this.get(posted.location) : null;
    return { posted, next };
  }

  async signIn(token: string): Promise<void> {
    const answer = await this.request("POST", "/auth/token", { token });
    assert.equal(answer.status, 303);
    const page = await this.get("/");
    this.csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1] ?? "";
    assert.ok(this.csrf, "the page carries the session's CSRF token");
  }
}

export function flashOf(text: string): string | null {
  const match = /<div class="notice (?:success|info|error)" role="(?:status|alert)" data-flash>([^<]*)<\/div>/.exec(text);
  return match ? match[1]!.replaceAll("&#39;", "'").replaceAll("&quot;", '"') : null;
}

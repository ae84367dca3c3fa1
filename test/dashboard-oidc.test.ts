// Single sign-on to the dashboard with OpenID Connect, against a real provider (oidc-provider) on a loopback port:
// a browser (fetch with a cookie jar) starts at /auth/oidc/start, fills in the provider's forms and comes back to
// /auth/oidc/callback. Who the provider says the person is decides who the session acts as; votes from that
// session count for that person, in the API, the audit trail and Slack.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAuditEvents } from "../src/audit/index.ts";
import { parseConfig } from "../src/config/index.ts";
import { callbackUrl } from "../src/dashboard/oidc.ts";
import { decideAccess, identityFromClaims, matchesIdentity, type LinkedReviewer } from "../src/dashboard/oidc-access.ts";
import { ADMIN_TOKEN, FAST_APPROVALS, nextApproval, postedMessage } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { CookieBrowser, signInAtProvider, startOidcProvider, type TestOidcProvider } from "./helpers/oidc-provider.ts";
import { freePort } from "./helpers/ports.ts";
import { buttonClickPayload, postInteraction, startSlackApiStandIn, type SlackApiStandIn } from "./helpers/slack-api.ts";

const SLACK_SECRET = "test-signing-secret";
const UPDATE = "smartlead_update_email_account";
const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    "smartlead_get_*": {},
    [UPDATE]: { action: "require_approval", approval: { min_approvals: 2, timeout: "10m" } },
    [RECONNECT]: { action: "require_approval", approval: { approvers: ["U0ALICE"], timeout: "10m", wait: "ticket" } },
  },
};
const ACCOUNTS = {
  rita: { email: "Rita@Example.com", email_verified: true },
  boss: { email: "boss@example.com", email_verified: true },
  carol: { email: "carol@example.com", email_verified: true },
  mallory: { email: "mallory@elsewhere.org", email_verified: true },
  dave: { email: "dave@example.com", email_verified: false },
  erin: { email: "erin@example.com" },
};
/** The client secret reaches the config through ${VAR} interpolation, as the config loader requires. */
const SECRET_VAR = "GATEHOUSE_TEST_OIDC_CLIENT_SECRET";

function oidcConfig(idp: Pick<TestOidcProvider, "issuer" | "clientId">) {
  return { issuer: idp.issuer, clientId: idp.clientId, clientSecret: `\${${SECRET_VAR}}`, admins: ["boss@example.com"], reviewers: ["*@example.com"] };
}

async function me(browser: CookieBrowser, gw: TestGateway): Promise<Record<string, unknown>> {
  const response = await browser.request(`${gw.url}/api/me`);
  assert.equal(response.status, 200, "the browser has a session");
  return (await response.json()) as Record<string, unknown>;
}

describe(`single sign-on with OpenID Connect (${storageLabel()})`, () => {
  describe("with the provider up", () => {
    let idp: TestOidcProvider;
    let slack: SlackApiStandIn;
    let gw: TestGateway;

    /** Signs in at the provider as `login` and visits the callback; returns the page the gateway ends on. */
    async function signIn(login: string, browser = new CookieBrowser()) {
      const callback = await signInAtProvider(browser, gw.url, login);
      const page = await browser.follow(callback);
      return { browser, callback, page };
    }

    before(async () => {
      idp = await startOidcProvider({ accounts: ACCOUNTS });
      process.env[SECRET_VAR] = idp.clientSecret;
      slack = await startSlackApiStandIn();
      gw = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: { approvals: { ...FAST_APPROVALS, channel: "C0APPROVALS" }, dashboard: { oidc: oidcConfig(idp) } },
        env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_SIGNING_SECRET: SLACK_SECRET, SLACK_API_URL: slack.url },
      });
      idp.register(`${gw.url}/auth/oidc/callback`);
      const rita = await gw.instance.reviewers.add("rita", { slackUserId: "U0RITA", oidcIdentity: "rita@example.com" });
      assert.ok(rita.ok);
    });
    after(async () => {
      await gw.close();
      await slack.close();
      await idp.close();
    });

    it("offers single sign-on on the sign-in page, next to the token form", async () => {
      const page = await new CookieBrowser().follow(`${gw.url}/sign-in`);
      assert.match(page.text, /<a class="button" href="\/auth\/oidc\/start">Sign in with single sign-on<\/a>/);
      assert.match(page.text, /name="token"/);
      assert.doesNotMatch(page.text, /unavailable/);
    });

    it("sends the browser to the provider with PKCE (S256), state and nonce, bound to a sealed HttpOnly cookie", async () => {
      const browser = new CookieBrowser();
      const start = await browser.request(`${gw.url}/auth/oidc/start`);
      assert.equal(start.status, 303);
      const location = new URL(start.headers.get("location")!);
      assert.equal(location.origin, idp.issuer);
      const params = location.searchParams;
      assert.equal(params.get("redirect_uri"), `${gw.url}/auth/oidc/callback`);
      assert.equal(params.get("code_challenge_method"), "S256");
      assert.equal(params.get("scope"), "openid email profile");
      for (const name of ["code_challenge", "state", "nonce"]) assert.match(params.get(name) ?? "", /^[\w-]{40,}$/, name);
      const cookie = start.headers.getSetCookie().find((c) => c.startsWith("gatehouse_oidc="));
      assert.match(cookie ?? "", /^gatehouse_oidc=v1\.[^;]+; Path=\/auth\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);
      assert.ok(!cookie!.includes(params.get("state")!), "the state is sealed, not readable in the cookie");
    });

    it("signs an identity linked to a reviewer in as that reviewer: one person with their Slack id, and audited", async () => {
      const { browser, page } = await signIn("rita");
      assert.equal(page.status, 200);
      assert.equal(page.url, `${gw.url}/`);
      assert.match(page.text, /<span class="who-name" title="slack:U0RITA">rita@example\.com<\/span>\s*<span class="badge tone-info">reviewer<\/span>/);
      const session = await me(browser, gw);
      assert.deepEqual({ ...session, csrfToken: typeof session.csrfToken }, { person: "slack:U0RITA", role: "reviewer", displayName: "rita@example.com", via: "session", csrfToken: "string" });
      assert.equal(browser.cookies(gw.url).has("gatehouse_oidc"), false, "the flow cookie is gone");

      const signedIn = (await listAuditEvents(gw.instance.database, { type: "session.signed_in", actor: "slack:U0RITA" })).rows[0];
      const reviewerId = (await gw.instance.reviewers.findByOidcIdentity("rita@example.com"))!.id;
      assert.deepEqual(signedIn?.data, { via: "oidc", issuer: idp.issuer, identity: "rita@example.com", subject: "rita", role: "reviewer", reviewerId });
    });

    it("counts a vote from a linked reviewer's session as their person: their Slack click is the same person; an admin votes as oidc:<email>", async () => {
      const rita = (await signIn("rita")).browser;
      const boss = (await signIn("boss")).browser;
      const agent = await gw.connect(await gw.createToken("sso-agent"));
      const created = nextApproval(gw);
      const call = agent.callTool({ name: UPDATE, arguments: { email_account_id: 502, name: "Voted by SSO" } });
      const approval = await created;

      const vote = async (browser: CookieBrowser) =>
        browser.request(`${gw.url}/api/approvals/${approval.id}/approve`, { method: "POST", json: {}, headers: { "x-csrf-token": String((await me(browser, gw)).csrfToken) } });
      const first = await vote(rita);
      assert.equal(first.status, 200);
      assert.deepEqual(((await first.json()) as { outcome: string; voter: string }).voter, "slack:U0RITA");

      const message = await postedMessage(gw, slack, approval.id);
      const mark = slack.calls.length;
      await postInteraction(gw.url, buttonClickPayload("gatehouse_approve", approval.id, { userId: "U0RITA", message }), { secret: SLACK_SECRET });
      await slack.waitFor("chat.postEphemeral", (c) => slack.calls.indexOf(c) >= mark && c.body.user === "U0RITA" && /already voted/.test(String(c.body.text)));
      assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending", "one person, one vote");

      const second = await vote(boss);
      assert.equal(second.status, 200);
      const result = await call;
      assert.equal(result.isError, undefined, textOf(result));
      const decided = await gw.instance.approvals.repo.get(approval.id);
      assert.deepEqual(decided?.votes.map((v) => v.voter), ["slack:U0RITA", "oidc:boss@example.com"]);
      assert.equal(decided?.decidedBy, "oidc:boss@example.com");
      const approved = (await listAuditEvents(gw.instance.database, { type: "approval.approved" })).rows.find((e) => (e.data as { approvalId?: string }).approvalId === approval.id);
      assert.equal(approved?.actor, "oidc:boss@example.com");
      assert.equal((approved?.data as { via?: string }).via, "oidc:boss@example.com");
      // Slack reads the sign-on person as their email, not as an id.
      await slack.waitFor("chat.update", (c) => /Approved.*by boss@example\.com/.test(JSON.stringify(c.body.blocks ?? "")) && /<@U0RITA> approved, boss@example\.com approved/.test(JSON.stringify(c.body.blocks ?? "")));
    });

    it("signs an identity listed in admins in as admin, acting as oidc:<email> (not the shared admin)", async () => {
      const { browser } = await signIn("boss");
      const session = await me(browser, gw);
      assert.deepEqual([session.person, session.role, session.displayName], ["oidc:boss@example.com", "admin", "boss@example.com"]);
      assert.equal((await browser.request(`${gw.url}/api/grants`)).status, 200, "admin routes are open to it");
    });

    it("holds a sign-on admin to a tool's approver list like any person (only the shared admin token is exempt)", async () => {
      const { browser } = await signIn("boss");
      const agent = await gw.connect(await gw.createToken("sso-agent-2"));
      const created = nextApproval(gw);
      await agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [501] } });
      const approval = await created;
      const csrf = String((await me(browser, gw)).csrfToken);
      const refused = await browser.request(`${gw.url}/api/approvals/${approval.id}/approve`, { method: "POST", json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(refused.status, 403);
      const problem = (await refused.json()) as { code: string; detail: string };
      assert.equal(problem.code, "not_allowed");
      assert.match(problem.detail, /approver list/);
      assert.equal((await gw.instance.approvals.repo.get(approval.id))?.status, "pending");
    });

    it("signs an identity matching reviewers (*@domain) in as a reviewer acting as oidc:<email>", async () => {
      const { browser } = await signIn("carol");
      const session = await me(browser, gw);
      assert.deepEqual([session.person, session.role], ["oidc:carol@example.com", "reviewer"]);
      assert.equal((await browser.request(`${gw.url}/api/grants`)).status, 403, "admin routes are not");
    });

    it("ends a linked reviewer's session when the reviewer is removed; signing in again follows the lists", async () => {
      assert.ok((await gw.instance.reviewers.add("carol-r", { oidcIdentity: "carol@example.com" })).ok);
      const { browser } = await signIn("carol");
      assert.equal((await me(browser, gw)).person, "reviewer:carol-r");
      assert.ok(await gw.instance.reviewers.remove("carol-r"));
      assert.equal((await browser.request(`${gw.url}/api/me`)).status, 401);
      const again = await signIn("carol", browser);
      assert.equal(again.page.status, 200);
      assert.equal((await me(browser, gw)).person, "oidc:carol@example.com");
    });

    it("refuses an identity that is neither linked nor listed, saying how to be added, and audits it", async () => {
      const { browser, page } = await signIn("mallory");
      assert.equal(page.status, 403);
      assert.match(page.text, /You signed in as mallory@elsewhere\.org, who is not a Gatehouse reviewer; ask an admin to add you: gatehouse reviewers add &lt;name&gt; --oidc mallory@elsewhere\.org/);
      assert.equal(browser.cookies(gw.url).has("gatehouse_session"), false, "no session");
      const refused = (await listAuditEvents(gw.instance.database, { type: "session.refused", actor: "oidc:mallory@elsewhere.org" })).rows[0];
      assert.deepEqual(refused?.data, { via: "oidc", issuer: idp.issuer, identity: "mallory@elsewhere.org", subject: "mallory" });
      assert.match(refused?.reason ?? "", /not a Gatehouse reviewer/);
    });

    it("refuses an email the provider says is not verified, or does not say is verified", async () => {
      const dave = await signIn("dave");
      assert.equal(dave.page.status, 403);
      assert.match(dave.page.text, /The provider says the email dave@example\.com is not verified/);
      assert.equal(dave.browser.cookies(gw.url).has("gatehouse_session"), false);
      const erin = await signIn("erin");
      assert.equal(erin.page.status, 403);
      assert.match(erin.page.text, /did not say whether the email erin@example\.com is verified/);
      const refused = await listAuditEvents(gw.instance.database, { type: "session.refused" });
      assert.ok(refused.rows.some((e) => e.actor === "oidc:dave@example.com"));
    });

    it("refuses a callback whose state was tampered with", async () => {
      const browser = new CookieBrowser();
      const callback = new URL(await signInAtProvider(browser, gw.url, "rita"));
      callback.searchParams.set("state", "forged-state-value");
      const page = await browser.follow(callback.href);
      assert.equal(page.status, 400);
      assert.match(page.text, /does not belong to the sign-in this browser started \(its state does not match\)/);
      assert.equal(browser.cookies(gw.url).has("gatehouse_session"), false);
    });

    it("says so when the person cancels at the provider", async () => {
      const browser = new CookieBrowser();
      const loginPage = await browser.follow(`${gw.url}/auth/oidc/start`);
      const cancel = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(loginPage.text)?.[1];
      assert.ok(cancel, loginPage.text);
      const page = await browser.follow(new URL(cancel.replaceAll("&amp;", "&"), loginPage.url).href);
      assert.equal(page.url.startsWith(`${gw.url}/auth/oidc/callback?error=access_denied`), true, page.url);
      assert.equal(page.status, 403);
      assert.match(page.text, /The provider did not sign you in: End-User aborted interaction\./);
      assert.equal(browser.cookies(gw.url).has("gatehouse_session"), false);
    });

    it("refuses a callback with no sign-in started in this browser (another browser's answer)", async () => {
      const callback = await signInAtProvider(new CookieBrowser(), gw.url, "rita");
      const other = new CookieBrowser();
      const page = await other.follow(callback);
      assert.equal(page.status, 400);
      assert.match(page.text, /No single sign-on is in progress in this browser/);
      assert.equal(other.cookies(gw.url).has("gatehouse_session"), false);
    });

    it("refuses a replayed callback: in the same browser, and with the flow cookie kept by an attacker", async () => {
      const browser = new CookieBrowser();
      const callback = await signInAtProvider(browser, gw.url, "rita");
      const flowCookie = browser.cookies(gw.url).get("gatehouse_oidc")!;
      const first = await browser.follow(callback);
      assert.equal(first.status, 200);

      const again = await browser.follow(callback);
      assert.equal(again.status, 400);
      assert.match(again.text, /No single sign-on is in progress in this browser/);

      const attacker = new CookieBrowser();
      attacker.cookies(gw.url).set("gatehouse_oidc", flowCookie);
      const replayed = await attacker.follow(callback);
      assert.equal(replayed.status, 403);
      assert.match(replayed.text, /The provider refused the sign-in \(invalid_grant/);
      assert.equal(attacker.cookies(gw.url).has("gatehouse_session"), false);
    });

    it("lets another gateway on the same database and key finish a sign-in this one started", async () => {
      const replica = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: { dashboard: { oidc: oidcConfig(idp) }, storage: { schema: gw.instance.database.schema } },
        databaseUrl: gw.instance.databaseUrl,
      });
      try {
        const browser = new CookieBrowser();
        const callback = new URL(await signInAtProvider(browser, gw.url, "rita"));
        // Behind one load balancer both answer on one host; here the browser takes its cookie to the replica's port.
        browser.cookies(replica.url).set("gatehouse_oidc", browser.cookies(gw.url).get("gatehouse_oidc")!);
        const page = await browser.follow(`${replica.url}${callback.pathname}${callback.search}`);
        assert.equal(page.url, `${replica.url}/`);
        assert.equal((await me(browser, replica)).person, "slack:U0RITA");
      } finally {
        await replica.close();
      }
    });

    it("refuses a flow cookie that was altered", async () => {
      const browser = new CookieBrowser();
      const callback = await signInAtProvider(browser, gw.url, "rita");
      const sealed = browser.cookies(gw.url).get("gatehouse_oidc")!;
      browser.cookies(gw.url).set("gatehouse_oidc", sealed.slice(0, -4) + (sealed.endsWith("AAAA") ? "BBBB" : "AAAA"));
      const page = await browser.follow(callback);
      assert.equal(page.status, 400);
      assert.match(page.text, /No single sign-on is in progress in this browser/);
    });
  });

  describe("with the provider down at start-up", () => {
    const DOWN_SECRET = "client-secret-of-the-provider-that-was-down";
    let gw: TestGateway;
    let port: number;
    let idp: TestOidcProvider | null = null;

    before(async () => {
      port = await freePort();
      process.env[SECRET_VAR] = DOWN_SECRET;
      gw = await startTestGateway({
        upstreams: { smartlead: DEMO_UPSTREAM },
        policies: { smartlead: POLICY },
        extraConfig: { dashboard: { oidc: { ...oidcConfig({ issuer: `http://127.0.0.1:${port}`, clientId: "gatehouse-dashboard" }), label: "Sign in with Example SSO" } } },
      });
    });
    after(async () => {
      await gw.close();
      await idp?.close();
    });

    it("starts anyway, says on the sign-in page why single sign-on is unavailable, and token sign-in still works", async () => {
      const browser = new CookieBrowser();
      const page = await browser.follow(`${gw.url}/auth/oidc/start`);
      assert.equal(page.status, 200);
      assert.equal(page.url, `${gw.url}/sign-in`);
      const unavailable = `Single sign-on is unavailable: the provider at http://127.0.0.1:${port} could not be reached`;
      assert.ok(page.text.includes(unavailable), page.text);
      assert.match(page.text, /ECONNREFUSED/);
      assert.match(page.text, /Sign in with Example SSO/);
      assert.ok(!page.text.includes(DOWN_SECRET));

      const signedIn = await browser.follow(`${gw.url}/auth/token`, { form: { token: ADMIN_TOKEN } });
      assert.equal(signedIn.url, `${gw.url}/`);
      assert.match(signedIn.text, /Pending approvals/);
      assert.equal((await me(browser, gw)).person, "admin");
    });

    it("asks the provider again at the next attempt, and signs in once it is back", async () => {
      idp = await startOidcProvider({ accounts: ACCOUNTS, port, clientSecret: DOWN_SECRET });
      idp.register(`${gw.url}/auth/oidc/callback`);
      const browser = new CookieBrowser();
      const page = await browser.follow(await signInAtProvider(browser, gw.url, "boss"));
      assert.equal(page.url, `${gw.url}/`);
      assert.deepEqual([(await me(browser, gw)).person, (await me(browser, gw)).role], ["oidc:boss@example.com", "admin"]);
      const signInPage = await browser.follow(`${gw.url}/sign-in`);
      assert.doesNotMatch(signInPage.text, /unavailable/, "the provider answered: no more warning");
    });

    it("says so when the provider goes away between the sign-in and the callback", async () => {
      const browser = new CookieBrowser();
      const callback = await signInAtProvider(browser, gw.url, "boss");
      await idp!.close();
      const page = await browser.follow(callback);
      assert.equal(page.status, 502);
      assert.match(page.text, /The provider could not be reached to finish the sign-in \(fetch failed: [A-Z_]+\)\. Try again in a moment, or sign in with a token\./);
      assert.equal(browser.cookies(gw.url).has("gatehouse_session"), false);
    });
  });
});

describe(`single sign-on configuration (${storageLabel()})`, () => {
  it("refuses to start with a plain-http issuer that is not on a loopback address", async () => {
    process.env[SECRET_VAR] = "irrelevant";
    await assert.rejects(
      startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: {}, extraConfig: { dashboard: { oidc: oidcConfig({ issuer: "http://idp.example.com", clientId: "gatehouse" }) } } }),
      /dashboard\.oidc\.issuer must use https \(http is accepted only on a loopback address, for local testing\): http:\/\/idp\.example\.com/,
    );
  });
});

describe("who a single sign-on identity is", () => {
  it("takes the identity claim, trimmed and lower-cased; an email only when the provider says it is verified", () => {
    const table: Array<[Record<string, unknown>, string, ReturnType<typeof identityFromClaims>["ok"], string]> = [
      [{ email: " Alice@Example.com ", email_verified: true }, "email", true, "alice@example.com"],
      [{ email: "alice@example.com", email_verified: "true" }, "email", true, "alice@example.com"],
      [{ email: "alice@example.com", email_verified: false }, "email", false, "is not verified"],
      [{ email: "alice@example.com" }, "email", false, "no email_verified claim"],
      [{ sub: "x" }, "email", false, 'did not send the "email" claim'],
      [{ preferred_username: "Alice" }, "preferred_username", true, "alice"],
      [{ sub: "248289761001" }, "sub", true, "248289761001"],
    ];
    for (const [claims, claim, ok, expected] of table) {
      const result = identityFromClaims(claims, claim);
      assert.equal(result.ok, ok, JSON.stringify(claims));
      if (result.ok) assert.equal(result.identity, expected);
      else assert.ok(result.reason.includes(expected), result.reason);
    }
  });

  it("matches exact identities, *@domain and *", () => {
    const table: Array<[string, string, boolean]> = [
      ["alice@example.com", "alice@example.com", true],
      ["Alice@Example.com", "alice@example.com", true],
      ["alice@example.com", "bob@example.com", false],
      ["*@example.com", "bob@example.com", true],
      ["*@example.com", "bob@sub.example.com", false],
      ["*@example.com", "bob@evil-example.com", false],
      ["*@example.com", "@example.com", false],
      ["*@example.com", "a@b@example.com", false],
      ["*", "anyone", true],
    ];
    for (const [pattern, identity, expected] of table) assert.equal(matchesIdentity(pattern, identity), expected, `${pattern} ~ ${identity}`);
  });

  it("acts as the linked reviewer (admin role when listed), else oidc:<identity> as admin or reviewer, else refuses", () => {
    const lists = { admins: ["boss@example.com", "*@ops.example.com"], reviewers: ["*@example.com"] };
    const rita = { id: "r1", name: "rita", personId: "slack:U0RITA", slackUserId: "U0RITA" };
    const table: Array<[string, LinkedReviewer | null, string | null, string | null]> = [
      ["rita@elsewhere.org", rita, "slack:U0RITA", "reviewer"],
      ["boss@example.com", { ...rita, personId: "reviewer:boss", slackUserId: null }, "reviewer:boss", "admin"],
      ["boss@example.com", null, "oidc:boss@example.com", "admin"],
      ["pat@ops.example.com", null, "oidc:pat@ops.example.com", "admin"],
      ["carol@example.com", null, "oidc:carol@example.com", "reviewer"],
      ["mallory@elsewhere.org", null, null, null],
    ];
    for (const [identity, linked, person, role] of table) {
      const result = decideAccess(identity, linked, lists);
      if (!result.ok) {
        assert.equal(person, null, identity);
        assert.equal(result.reason, `You signed in as ${identity}, who is not a Gatehouse reviewer; ask an admin to add you: gatehouse reviewers add <name> --oidc ${identity}`);
        continue;
      }
      assert.deepEqual([result.session.person, result.session.role, result.session.via, result.session.displayName], [person, role, "oidc", identity]);
      assert.equal(result.session.reviewerId, linked?.id ?? null);
      assert.equal(result.session.slackUserId, linked?.slackUserId ?? null);
    }
  });

  it("sends the provider back to dashboard.publicUrl (path kept) or the request's own host", () => {
    assert.equal(callbackUrl("https://gatehouse.example.com"), "https://gatehouse.example.com/auth/oidc/callback");
    assert.equal(callbackUrl("https://example.com/gatehouse"), "https://example.com/gatehouse/auth/oidc/callback");
    assert.equal(callbackUrl("https://example.com/gatehouse/"), "https://example.com/gatehouse/auth/oidc/callback");
    assert.equal(callbackUrl("http://127.0.0.1:8787"), "http://127.0.0.1:8787/auth/oidc/callback");
  });

  it("refuses a client secret written into the config file instead of named from the environment", () => {
    const config = (clientSecret: string) =>
      JSON.stringify({ upstreams: { demo: DEMO_UPSTREAM }, dashboard: { oidc: { issuer: "https://idp.example.com", clientId: "gatehouse", clientSecret } } });
    assert.throws(() => parseConfig(config("literal-secret-value"), "/etc/gatehouse.json"), (error: Error) => {
      assert.match(error.message, /\/etc\/gatehouse\.json: \/dashboard\/oidc\/clientSecret: secrets come from the environment/);
      assert.ok(!error.message.includes("literal-secret-value"), "the secret is not repeated");
      return true;
    });
    const parsed = parseConfig(config("${OIDC_SECRET_FOR_TEST}"), "/etc/gatehouse.json", { OIDC_SECRET_FOR_TEST: "from-env" });
    assert.equal(parsed.dashboard.oidc?.clientSecret, "from-env");
  });
});

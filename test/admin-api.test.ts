// The admin API as a client sees it: the OpenAPI document lists every route, answers match the schemas the
// document is generated from, errors are problem JSON with stable codes, credentials are managed (and
// audited) over the API, and dashboard sessions need their CSRF token for every state change.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { listAuditEvents } from "../src/audit/index.ts";
import { ApprovalView, GrantView, ReviewerView } from "../src/http/api/views.ts";
import { ADMIN_TOKEN, FAST_APPROVALS, nextApproval } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

const RECONNECT = "smartlead_reconnect_failed_email_accounts";
const POLICY = { version: "1", default: "deny", tools: { "smartlead_get_*": {}, [RECONNECT]: { action: "require_approval", approval: { timeout: "10m", wait: "ticket" } } } };

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
  setCookie: string | null;
}

describe(`admin API (${storageLabel()})`, () => {
  let gw: TestGateway;

  async function api(method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${gw.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), redirect: "manual" });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { text };
    }
    return { status: response.status, type: response.headers.get("content-type") ?? "", body, setCookie: response.headers.get("set-cookie") };
  }

  function assertProblem(answer: Answer, status: number, code: string): void {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.match(answer.type, /^application\/problem\+json/);
    assert.equal(answer.body.code, code);
    assert.equal(answer.body.title, code);
    assert.equal(answer.body.status, status);
    assert.equal(typeof answer.body.detail, "string");
  }

  before(async () => {
    gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: POLICY }, extraConfig: { approvals: FAST_APPROVALS } });
  });
  after(() => gw.close());

  it("publishes an OpenAPI 3.1 document listing every route, without a credential", async () => {
    const doc = await api("GET", "/api/openapi.json", { token: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, "3.1.0");
    const paths = doc.body.paths as Record<string, Record<string, { responses: Record<string, unknown>; parameters?: Array<{ name: string }> }>>;
    for (const [path, method] of [
      ["/api/approvals", "get"],
      ["/api/approvals/{id}", "get"],
      ["/api/approvals/{id}/{decision}", "post"],
      ["/api/approvals/stream", "get"],
      ["/api/audit/calls", "get"],
      ["/api/audit/events", "get"],
      ["/api/audit/calls/{id}", "get"],
      ["/api/audit/verify", "get"],
      ["/api/audit/checkpoints", "get"],
      ["/api/grants", "post"],
      ["/api/grants/{name}", "delete"],
      ["/api/reviewers", "post"],
      ["/api/upstreams", "get"],
      ["/api/upstreams/{name}/tools", "get"],
      ["/api/me", "get"],
    ] as const) {
      assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
    }
    const list = paths["/api/approvals"]!.get!;
    assert.deepEqual(list.parameters?.map((p) => p.name).sort(), ["limit", "status"]);
    assert.ok(list.responses["401"], "auth failures are documented");
    const schemas = (doc.body.components as { schemas: Record<string, unknown> }).schemas;
    assert.ok(schemas.Approval && schemas.Problem && schemas.Grant, "named schemas are components");
  });

  it("answers errors as problem JSON with stable codes", async () => {
    assertProblem(await api("GET", "/api/approvals", { token: null }), 401, "unauthorized");
    assertProblem(await api("GET", "/api/approvals", { token: "ghr_not-a-token" }), 401, "unauthorized");
    assertProblem(await api("GET", "/api/nothing-here"), 404, "not_found");
    assertProblem(await api("GET", "/api/approvals/not-a-uuid"), 400, "invalid_query");
    assertProblem(await api("GET", "/api/approvals/00000000-0000-4000-8000-000000000000"), 404, "not_found");
    const badStatus = await api("GET", "/api/approvals?status=pending,sleeping&limit=0");
    assertProblem(badStatus, 400, "invalid_query");
    const errors = badStatus.body.errors as Array<{ path: string; message: string }>;
    assert.deepEqual(errors.map((e) => e.path).sort(), ["query.limit", "query.status.1"]);
    const badBody = await api("POST", "/api/grants", { body: { name: "has spaces", extra: 1 } });
    assertProblem(badBody, 400, "invalid_body");
    assert.deepEqual((badBody.body.errors as Array<{ path: string }>).map((e) => e.path).sort(), ["", "name"]);
    const response = await fetch(`${gw.url}/api/grants`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: "{nope" });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, "invalid_json");
  });

  it("creates, lists and revokes grants; the token works once created and gets 401 after revoke; each change is audited", async () => {
    const created = await api("POST", "/api/grants", { body: { name: "api-agent", owner: "U0OWNER", labels: { team: "growth" } } });
    assert.equal(created.status, 201);
    const { grant, token } = z.object({ grant: GrantView, token: z.string() }).parse(created.body);
    assert.equal(grant.owner, "U0OWNER");
    assert.match(token, /^ghk_/);
    assertProblem(await api("POST", "/api/grants", { body: { name: "api-agent" } }), 409, "conflict");

    const listed = z.object({ grants: z.array(GrantView) }).parse((await api("GET", "/api/grants")).body);
    const shown = listed.grants.find((g) => g.name === "api-agent");
    assert.ok(shown && shown.revokedAt === null);
    assert.ok(!JSON.stringify(listed).includes(token), "a token is shown once, at creation");

    const client = await gw.connect(token);
    await client.callTool({ name: "smartlead_get_campaign", arguments: { campaign_id: 1001 } });
    const revoked = await api("DELETE", "/api/grants/api-agent");
    assert.equal(revoked.status, 200);
    assert.ok(GrantView.parse(revoked.body.grant).revokedAt);
    const mcp = await fetch(`${gw.url}/mcp`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    assert.equal(mcp.status, 401, "a revoked grant's token is refused");
    assertProblem(await api("DELETE", "/api/grants/api-agent"), 404, "not_found");

    const events = await listAuditEvents(gw.instance.database, { type: "grant.*" });
    assert.deepEqual(events.rows.map((e) => [e.type, e.actor, (e.data as { grant: string }).grant]).reverse(), [
      ["grant.created", "admin", "api-agent"],
      ["grant.revoked", "admin", "api-agent"],
    ]);
  });

  it("adds reviewers (token once), refuses a reviewer on admin routes, and removes them at once", async () => {
    const added = await api("POST", "/api/reviewers", { body: { name: "rita", slackUserId: "U0RITA", oidcIdentity: "Rita@Example.com" } });
    assert.equal(added.status, 201);
    const { reviewer, token } = z.object({ reviewer: ReviewerView, token: z.string() }).parse(added.body);
    assert.equal(reviewer.personId, "slack:U0RITA");
    assert.equal(reviewer.oidcIdentity, "rita@example.com");
    assertProblem(await api("POST", "/api/reviewers", { body: { name: "other", oidcIdentity: "rita@example.com" } }), 409, "conflict");

    const me = await api("GET", "/api/me", { token });
    assert.deepEqual(me.body, { person: "slack:U0RITA", role: "reviewer", displayName: "rita", via: "reviewer_token", csrfToken: null });
    assert.equal((await api("GET", "/api/audit/calls", { token })).status, 200, "reviewers read the audit history");
    assertProblem(await api("GET", "/api/reviewers", { token }), 403, "admin_only");
    assertProblem(await api("POST", "/api/grants", { token, body: { name: "sneaky" } }), 403, "admin_only");

    const listed = z.object({ reviewers: z.array(ReviewerView) }).parse((await api("GET", "/api/reviewers")).body);
    assert.ok(listed.reviewers.some((r) => r.name === "rita"));
    assert.equal((await api("DELETE", "/api/reviewers/rita")).status, 200);
    assertProblem(await api("GET", "/api/me", { token }), 401, "unauthorized");
  });

  it("shows approvals in the documented shape, never with sealed arguments", async () => {
    const agent = await gw.connect(await gw.createToken("approval-agent"));
    const created = nextApproval(gw);
    await agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [7], api_key: "sk_live_abcdefghijklmnop" } });
    const approval = await created;
    const one = await api("GET", `/api/approvals/${approval.id}`);
    const parsed = ApprovalView.strict().parse(one.body);
    assert.equal(parsed.status, "pending");
    assert.ok(!JSON.stringify(one.body).includes("sk_live_abcdefghijklmnop"), "secrets are redacted");
    assert.ok(!("argsSealed" in one.body));
    const list = z.object({ approvals: z.array(ApprovalView) }).parse((await api("GET", "/api/approvals?status=pending")).body);
    assert.ok(list.approvals.some((a) => a.id === approval.id));
  });

  it("lists upstreams and their tools", async () => {
    const upstreams = (await api("GET", "/api/upstreams")).body.upstreams as Array<{ name: string; state: string; toolCount: number; policy: { isLoaded: boolean } }>;
    assert.equal(upstreams[0]?.name, "smartlead");
    assert.equal(upstreams[0]?.state, "ready");
    assert.equal(upstreams[0]?.toolCount, 116);
    assert.equal(upstreams[0]?.policy.isLoaded, true);
    const tools = (await api("GET", "/api/upstreams/smartlead/tools")).body.tools as Array<{ name: string }>;
    assert.ok(tools.some((t) => t.name === RECONNECT));
    assertProblem(await api("GET", "/api/upstreams/nope/tools"), 404, "not_found");
  });

  it("streams approval changes as server-sent events", async () => {
    const controller = new AbortController();
    const response = await fetch(`${gw.url}/api/approvals/stream`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: controller.signal });
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = response.body!.getReader();
    let seen = "";
    const agent = await gw.connect(await gw.createToken("stream-agent"));
    await agent.callTool({ name: RECONNECT, arguments: { email_account_ids: [8] } });
    while (!/event: change\ndata: \{"id":"[0-9a-f-]+","status":"pending"\}/.test(seen)) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the stream stays open");
      seen += new TextDecoder().decode(value);
    }
    controller.abort();
  });

  describe("dashboard sessions", () => {
    async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
      const response = await fetch(`${gw.url}/auth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token }), redirect: "manual" });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/");
      const setCookie = response.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /^gatehouse_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
      const cookie = setCookie.split(";")[0]!;
      const me = await api("GET", "/api/me", { token: null, headers: { cookie } });
      return { cookie, csrf: String(me.body.csrfToken) };
    }

    it("exchanges a reviewer token for an HttpOnly session that acts as that reviewer", async () => {
      const token = await gw.createReviewer("sam");
      const { cookie } = await signIn(token);
      const me = await api("GET", "/api/me", { token: null, headers: { cookie } });
      assert.equal(me.body.person, "reviewer:sam");
      assert.equal(me.body.via, "session");
      assert.equal(typeof me.body.csrfToken, "string");
      const refused = await fetch(`${gw.url}/auth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=wrong", redirect: "manual" });
      assert.equal(refused.status, 303);
      assert.match(refused.headers.get("location") ?? "", /^\/sign-in\?error=/);
      assert.equal(refused.headers.get("set-cookie"), null);
    });

    it("refuses a state change without the session's CSRF token or from another origin", async () => {
      const { cookie, csrf } = await signIn(ADMIN_TOKEN);
      assertProblem(await api("POST", "/api/grants", { token: null, headers: { cookie }, body: { name: "csrf-victim" } }), 403, "csrf_failed");
      assertProblem(await api("POST", "/api/grants", { token: null, headers: { cookie, "x-csrf-token": "wrong" }, body: { name: "csrf-victim" } }), 403, "csrf_failed");
      // Another site's Origin is refused before the CSRF check, by the Host/Origin guard (docs/operations.md).
      assertProblem(await api("POST", "/api/grants", { token: null, headers: { cookie, "x-csrf-token": csrf, origin: "https://evil.example" }, body: { name: "csrf-victim" } }), 403, "origin_not_allowed");
      assert.equal((await gw.instance.grants.findByName("csrf-victim")), null, "nothing was created");
      const made = await api("POST", "/api/grants", { token: null, headers: { cookie, "x-csrf-token": csrf, origin: gw.url }, body: { name: "csrf-ok" } });
      assert.equal(made.status, 201);
      const crossSite = await fetch(`${gw.url}/auth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }, body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
      assert.equal(crossSite.status, 403, "a sign-in form on another site cannot sign a browser in");
    });

    it("ends the session at sign-out, and when its reviewer is removed", async () => {
      const token = await gw.createReviewer("tess");
      const first = await signIn(token);
      const signOut = await fetch(`${gw.url}/auth/sign-out`, { method: "POST", headers: { cookie: first.cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ _csrf: first.csrf }), redirect: "manual" });
      assert.equal(signOut.status, 303);
      assert.match(signOut.headers.get("set-cookie") ?? "", /Max-Age=0/);
      assertProblem(await api("GET", "/api/me", { token: null, headers: { cookie: first.cookie } }), 401, "unauthorized");

      const second = await signIn(token);
      assert.equal((await api("GET", "/api/me", { token: null, headers: { cookie: second.cookie } })).status, 200);
      await gw.instance.reviewers.remove("tess");
      assertProblem(await api("GET", "/api/me", { token: null, headers: { cookie: second.cookie } }), 401, "unauthorized");
    });

    it("sends people without a session to the sign-in page", async () => {
      const response = await fetch(`${gw.url}/`, { redirect: "manual" });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/sign-in");
      const page = await fetch(`${gw.url}/sign-in`);
      assert.match(await page.text(), /<form method="post" action="\/auth\/token">/);
    });
  });
});

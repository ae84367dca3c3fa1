// dashboard.secureCookies as the README states it: by default the session cookie is Secure only when the
// request came over HTTPS (plain HTTP here: not Secure); `true` marks it Secure anyway (TLS ends at a proxy).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ADMIN_TOKEN } from "./helpers/approvals.ts";
import { DEMO_UPSTREAM, startTestGateway, storageLabel, type TestGateway } from "./helpers/gateway.ts";

async function sessionCookie(gw: TestGateway): Promise<string> {
  const response = await fetch(`${gw.url}/auth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
  assert.equal(response.status, 303);
  return response.headers.get("set-cookie") ?? "";
}

describe(`dashboard.secureCookies (${storageLabel()})`, () => {
  const gateways: TestGateway[] = [];
  const start = async (dashboard: Record<string, unknown>) => {
    const gw = await startTestGateway({ upstreams: { smartlead: DEMO_UPSTREAM }, policies: { smartlead: { version: "1", default: "deny" } }, extraConfig: { dashboard } });
    gateways.push(gw);
    return gw;
  };
  after(() => Promise.all(gateways.map((gw) => gw.close())));

  it("leaves the cookie without Secure over plain HTTP by default, HttpOnly either way", async () => {
    const cookie = await sessionCookie(await start({}));
    assert.match(cookie, /^gatehouse_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.doesNotMatch(cookie, /;\s*Secure/i);
  });

  it("marks it Secure when secureCookies is true", async () => {
    const cookie = await sessionCookie(await start({ secureCookies: true }));
    assert.match(cookie, /;\s*Secure/i);
  });
});

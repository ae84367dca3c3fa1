// How tools, prompts and resource URIs are named for clients, and mapped back: table-driven.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createToolNaming } from "../src/proxy/naming.ts";

describe("names and URIs with several upstreams", () => {
  const naming = createToolNaming({ mode: "auto", separator: "__" }, ["crm", "crm_eu", "conf"]);

  const uris: Array<[string, string, string]> = [
    ["crm", "https://crm.internal/accounts/1", "crm+https://crm.internal/accounts/1"],
    // `_` is not allowed in a URI scheme; `.` is, and never appears in an upstream name.
    ["crm_eu", "https://crm.internal/accounts/1", "crm.eu+https://crm.internal/accounts/1"],
    // The upstream's own scheme may contain `+`: the first `+` ends the label.
    ["conf", "git+ssh://host/repo", "conf+git+ssh://host/repo"],
    // A template keeps its variables.
    ["conf", "test://template/{id}/data", "conf+test://template/{id}/data"],
  ];
  for (const [upstream, uri, exposed] of uris) {
    it(`${upstream} ${uri} ⇄ ${exposed}`, () => {
      assert.equal(naming.exposedUri(upstream, uri), exposed);
      assert.deepEqual(naming.resolveUri(exposed), { upstream, uri });
    });
  }

  it("gives an exposed URI a valid scheme a URL parser accepts", () => {
    assert.equal(new URL(naming.exposedUri("crm_eu", "https://crm.internal/a")).protocol, "crm.eu+https:");
  });

  it("maps back a label a client lower-cased, and nothing for an unknown label or no label", () => {
    assert.deepEqual(naming.resolveUri("CRM.EU+https://x"), { upstream: "crm_eu", uri: "https://x" });
    assert.equal(naming.resolveUri("crm_eu+https://x"), null);
    assert.equal(naming.resolveUri("other+https://x"), null);
    assert.equal(naming.resolveUri("https://x"), null);
  });

  it("names prompts like tools, the longest upstream name winning", () => {
    assert.equal(naming.exposedName("crm_eu", "summarize"), "crm_eu__summarize");
    assert.deepEqual(naming.resolve("crm_eu__summarize"), { upstream: "crm_eu", tool: "summarize" });
    assert.deepEqual(naming.resolve("crm__summarize"), { upstream: "crm", tool: "summarize" });
  });
});

describe("names and URIs with one upstream", () => {
  for (const mode of ["auto", "never"] as const) {
    it(`${mode}: pass unchanged`, () => {
      const naming = createToolNaming({ mode, separator: "__" }, ["conf"]);
      assert.equal(naming.exposedUri("conf", "test://static-text"), "test://static-text");
      assert.deepEqual(naming.resolveUri("test://static-text"), { upstream: "conf", uri: "test://static-text" });
      assert.equal(naming.exposedName("conf", "p"), "p");
    });
  }

  it('"always" prefixes even one upstream', () => {
    const naming = createToolNaming({ mode: "always", separator: "__" }, ["conf"]);
    assert.equal(naming.exposedUri("conf", "test://static-text"), "conf+test://static-text");
    assert.equal(naming.exposedName("conf", "p"), "conf__p");
  });
});

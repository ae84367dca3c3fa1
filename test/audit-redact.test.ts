import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  canonicalJson,
  fromStorableJson,
  fromStorableText,
  hasUnstorableText,
  isSecretKey,
  redactArguments,
  redactText,
  sha256Hex,
  toStorableJson,
  toStorableText,
} from "../src/audit/index.ts";

const R = "[REDACTED]";

describe("canonicalJson", () => {
  const cases: [string, unknown, string][] = [
    ["sorts keys at every depth", { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}'],
    ["no whitespace, JSON escapes", { "k\n": 'q"\u0001' }, '{"k\\n":"q\\"\\u0001"}'],
    ["drops undefined, functions and symbols from objects", { a: undefined, b: () => 1, c: Symbol("s"), d: 1 }, '{"d":1}'],
    ["undefined in arrays becomes null", [undefined, 1], "[null,1]"],
    ["non-finite numbers become null", [NaN, Infinity, -0], "[null,null,0]"],
    ["uses toJSON (dates)", { at: new Date("2025-01-01T00:00:00.000Z") }, '{"at":"2025-01-01T00:00:00.000Z"}'],
    ["top-level undefined is null", undefined, "null"],
    ["sorts by UTF-16 code units", { é: 1, z: 2, Z: 3, "10": 4, "9": 5 }, '{"10":4,"9":5,"Z":3,"z":2,"é":1}'],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(canonicalJson(input), expected));

  it("is the same for equal values built in a different order", () => {
    assert.equal(canonicalJson({ a: 1, b: [1, 2] }), canonicalJson(JSON.parse('{"b":[1,2],"a":1}')));
  });

  it("refuses what JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), /circular/);
    assert.throws(() => canonicalJson({ n: 1n }), /bigint/);
  });

  it("sha256Hex matches node:crypto", () => {
    assert.equal(sha256Hex("abc"), createHash("sha256").update("abc").digest("hex"));
  });

  it("writes NUL and unpaired surrogates as escapes, so they hash deterministically and apart from look-alikes", () => {
    assert.equal(canonicalJson({ "k\u0000": ["\uD800", "\uDC00x", "\uD83D\uDD10"] }), '{"k\\u0000":["\\ud800","\\udc00x","🔐"]}');
    const hashes = ["a\u0000", "a\uFFFD", "a\\u0000", "a"].map((text) => sha256Hex(canonicalJson({ text })));
    assert.equal(new Set(hashes).size, 4);
  });
});

describe("toStorableJson / fromStorableJson", () => {
  const cases: [string, unknown, unknown][] = [
    ["NUL in values and keys", { "k\u0000": ["a\u0000b"] }, { "k\\u0000": ["a\\u0000b"] }],
    ["unpaired surrogates, high and low", ["\uD800", "x\uDBFFy", "\uDC00", "\uDFFF\uD800"], ["\\ud800", "x\\udbffy", "\\udc00", "\\udfff\\ud800"]],
    ["text that already reads as an escape", ["C:\\u0041", "\\uD800", "\\\\u0000"], ["C:\\u005cu0041", "\\u005cuD800", "\\\\u005cu0000"]],
    ["everything else unchanged", { path: "C:\\Users\\ann", emoji: "🔐 ключ", u: "\\u12", n: [1, null, true] }, { path: "C:\\Users\\ann", emoji: "🔐 ключ", u: "\\u12", n: [1, null, true] }],
    ["JSON semantics once", { a: undefined, at: new Date("2025-01-01T00:00:00.000Z"), x: NaN }, { at: "2025-01-01T00:00:00.000Z", x: null }],
  ];
  for (const [name, input, stored] of cases) {
    it(name, () => {
      assert.deepEqual(toStorableJson(input), stored);
      assert.equal(hasUnstorableText(toStorableJson(input)), false);
    });
  }

  it("reads back to the original, and never gives two values one stored form", () => {
    const alphabet = ["\\", "u", "0", "d", "8", "c", "\u0000", "\uD800", "\uDC00", "a", "\uD83D\uDD10"];
    const seen = new Map<string, string>();
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length;
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: i % 9 }, () => alphabet[next()]).join("");
      const stored = toStorableText(text);
      assert.equal(fromStorableText(stored), text);
      assert.equal(hasUnstorableText(stored), false);
      const earlier = seen.get(stored);
      assert.ok(earlier === undefined || earlier === text, `${JSON.stringify(text)} and ${JSON.stringify(earlier)} collide`);
      seen.set(stored, text);
    }
    const value = JSON.parse('{"__proto__":{"k\\u0000":["\\ud800"]}}') as unknown;
    assert.deepEqual(fromStorableJson(toStorableJson(value)), value);
    assert.equal(canonicalJson(toStorableJson(value)), '{"__proto__":{"k\\\\u0000":["\\\\ud800"]}}', "a __proto__ key stays a key");
  });

  it("redactArguments stores the escaped, redacted form and hashes the original", () => {
    const args = { note: "a\u0000b", api_key: "x\u0000y", ["k\uD800"]: 1 };
    const { redacted, hash } = redactArguments(args);
    assert.deepEqual(redacted, { note: "a\\u0000b", api_key: R, "k\\ud800": 1 });
    assert.equal(hash, sha256Hex(canonicalJson(args)));
  });
});

describe("isSecretKey", () => {
  const secret = [
    "password", "Password", "PASSWD", "smtp_password", "smtpPassword", "db-pwd", "passphrase", "secret", "client_secret", "clientSecret",
    "token", "access_token", "refreshToken", "X-Auth-Token", "api_key", "apiKey", "api-key", "APIKey", "x-api-key", "xapikey", "authorization",
    "Proxy-Authorization", "auth", "cookie", "Set-Cookie", "private_key", "privateKey", "credential", "credentials", "session_key",
    "sessionToken", "aws_secret_access_key", "signing_key",
  ];
  const notSecret = [
    "author", "authority", "max_tokens", "input_tokens", "tokenizer", "api_key_id", "token_type", "auth_url", "password_length",
    "secret_name", "session_id", "campaign_id", "email", "name", "keyboard", "monkey", "webhook_url", "passenger", "",
  ];
  for (const key of secret) it(`"${key}" is secret`, () => assert.equal(isSecretKey(key), true));
  for (const key of notSecret) it(`"${key}" is not secret`, () => assert.equal(isSecretKey(key), false));
});

describe("redactText: values that look like credentials, whatever the key", () => {
  const cases: [string, string, string][] = [
    ["Bearer token", "Authorization: Bearer abc123.def456-ghi789", "Authorization: " + R],
    ["OpenAI-style key", "use sk-proj-Abc123def456ghi789jkl now", `use ${R} now`],
    ["Anthropic-style key", "sk-ant-api03-AbCdEf0123456789_xyz", R],
    ["Stripe secret key", "sk_live_51Habcdefghij0123", R],
    ["Slack bot token", "xoxb-1234567890-0987654321-AbCdEfGhIjKl", R],
    ["Slack user token", "xoxp-1234567890-abcdefghij", R],
    ["Slack app token", "xapp-1-A0123456789-0123456789-abcdef", R],
    ["Slack webhook", "post to https://hooks.slack.com/services/T000/B000/XXXXYYYY", `post to ${R}`],
    ["GitHub classic token", `token ghp_${"a1B2".repeat(9)}`, `token ${R}`],
    ["GitHub fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", R],
    ["AWS access key id", "AKIAIOSFODNN7EXAMPLE", R],
    ["AWS secret access key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", R],
    [
      "JWT",
      "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U;",
      `jwt=${R};`,
    ],
    ["PEM private key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nend", `key:\n${R}\nend`],
    ["truncated PEM private key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq", R],
    ["hex secret", "c7174fc85bd55b8b27ef3b0ec12a9b6f", R],
    ["password in a URL", "postgres://admin:s3cret@db.internal:5432/app", `postgres://admin:${R}@db.internal:5432/app`],
    ["key=value", "user=bob password=hunter2 mode=fast", `user=bob password=${R} mode=fast`],
    ["query string", "/cb?code=1&access_token=abc&state=x", `/cb?code=1&access_token=${R}&state=x`],
    ["JSON text", '{"api_key": "abc", "name": "x"}', `{"api_key": "${R}", "name": "x"}`],
    ["Basic credentials", "Authorization: Basic dXNlcjpwYXNz", `Authorization: ${R}`],
    ["already redacted stays as is", `password: "${R}"`, `password: "${R}"`],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(redactText(input), expected));

  const untouched = [
    "/Users/JohnSmith2/Documents/Projects/notes.txt",
    "order_12345_customer_67890_invoice",
    "ProcessingStatusUpdateNotificationHandler2",
    "smartlead_reconnect_failed_email_accounts",
    "Campaign-Q3-2024-Outbound-Enterprise-Leads-v2",
    "123e4567-e89b-12d3-a456-426614174000",
    "https://example.com/api/v1/campaigns/12345/leads?offset=100",
    "sk-learn-tutorial-for-beginners",
    "The author: Jane; status: ok",
    "max_tokens=1000",
    "2024-01-01T00:00:00.000Z",
    "12345678901234567890123456789012345",
    "node_modules/@modelcontextprotocol/sdk/dist/esm/types.js",
    "A basic plan with bearer bonds",
  ];
  for (const text of untouched) it(`leaves "${text}" alone`, () => assert.equal(redactText(text), text));

  it("catches random tokens of 32+ characters (base64, base64url, hex)", () => {
    // Deterministic pseudo-random bytes, so the test cannot flake (measured miss rate for 32-byte
    // base64 tokens is under 0.1%; the key rules remain the first line of defence).
    for (let i = 0; i < 200; i++) {
      const bytes = createHash("sha256").update(`token-${i}`).digest();
      for (const encoding of ["base64", "base64url", "hex"] as const) {
        const token = bytes.toString(encoding);
        assert.equal(redactText(`value ${token} end`), `value ${R} end`, token);
      }
    }
  });
});

describe("redactArguments", () => {
  it("redacts by key and by value, through nested objects and arrays", () => {
    const args = {
      campaign_id: 42,
      name: "Q3 outbound",
      password: "hunter2",
      smtp: { host: "smtp.example.com", port: 587, smtpPassword: "p4ss", use_auth: true },
      headers: [{ Authorization: "Basic dXNlcjpwYXNz" }, { "x-api-key": 123456 }],
      notes: ["call me", "my key is sk-proj-Abc123def456ghi789jkl ok"],
      credentials: { user: "bob", secret: "s" },
      token: null,
      api_key_id: "key_123",
      max_tokens: 1000,
    };
    assert.deepEqual(redactArguments(args).redacted, {
      campaign_id: 42,
      name: "Q3 outbound",
      password: R,
      smtp: { host: "smtp.example.com", port: 587, smtpPassword: R, use_auth: true },
      headers: [{ Authorization: R }, { "x-api-key": R }],
      notes: ["call me", `my key is ${R} ok`],
      credentials: R,
      token: null,
      api_key_id: "key_123",
      max_tokens: 1000,
    });
  });

  it("does not modify its input", () => {
    const args = { password: "hunter2", list: [{ token: "t" }] };
    redactArguments(args);
    assert.deepEqual(args, { password: "hunter2", list: [{ token: "t" }] });
  });

  it("hashes the canonical form of the UNREDACTED arguments", () => {
    const { redacted, hash } = redactArguments({ password: "hunter2", user: "bob" });
    assert.equal(hash, sha256Hex('{"password":"hunter2","user":"bob"}'));
    assert.notEqual(hash, sha256Hex(canonicalJson(redacted)));
    assert.notEqual(hash, redactArguments({ password: "other", user: "bob" }).hash, "a different secret gives a different hash");
    assert.equal(hash, redactArguments({ user: "bob", password: "hunter2" }).hash, "key order does not matter");
  });

  it("handles scalars, null and undefined", () => {
    assert.deepEqual(redactArguments(undefined), { redacted: null, hash: sha256Hex("null") });
    assert.equal(redactArguments("AKIAIOSFODNN7EXAMPLE").redacted, R);
    assert.equal(redactArguments(7).redacted, 7);
  });

  it("is idempotent", () => {
    const once = redactArguments({ password: "x", text: "Bearer abc123def456" }).redacted;
    assert.deepEqual(redactArguments(once).redacted, once);
  });
});

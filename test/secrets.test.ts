// The sealing of held-call arguments: AES-256-GCM bound to its context, and where the key comes from.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { isGatewayError } from "../src/errors.ts";
import { createSealer, KEY_FILE, loadSealingKey } from "../src/secrets/index.ts";
import { silentLogger } from "../src/log/index.ts";

describe("sealing", () => {
  const sealer = createSealer(randomBytes(32));

  it("opens what it sealed, only in the same context", () => {
    const sealed = sealer.seal('{"password":"hunter2"}', "approval-1:hash-a");
    assert.doesNotMatch(sealed, /hunter2/);
    assert.deepEqual(sealer.open(sealed, "approval-1:hash-a"), { ok: true, plaintext: '{"password":"hunter2"}' });
    assert.deepEqual(sealer.open(sealed, "approval-2:hash-a"), { ok: false, reason: "tampered" }, "copied to another row");
    assert.deepEqual(sealer.open(sealed, "approval-1:hash-b"), { ok: false, reason: "tampered" }, "hash edited");
    const [version, keyId, iv, tag, body] = sealed.split(".");
    const flipped = Buffer.from(body!, "base64url");
    flipped[0]! ^= 1;
    assert.deepEqual(sealer.open([version, keyId, iv, tag, flipped.toString("base64url")].join("."), "approval-1:hash-a"), { ok: false, reason: "tampered" });
    assert.notEqual(sealer.seal("same", "ctx"), sealer.seal("same", "ctx"), "a fresh IV every time");
  });

  it("names a value sealed with another key instead of calling it tampered", () => {
    const other = createSealer(randomBytes(32));
    const opened = sealer.open(other.seal("x", "ctx"), "ctx");
    assert.deepEqual(opened, { ok: false, reason: "other_key", keyId: other.keyId });
  });

  it("takes the key from GATEHOUSE_ENCRYPTION_KEY as base64 or hex, and refuses a wrong length clearly", async () => {
    const key = randomBytes(32);
    const options = { dataDir: null, isShared: true, logger: silentLogger() };
    assert.deepEqual(await loadSealingKey({ ...options, envKey: key.toString("base64") }), key);
    assert.deepEqual(await loadSealingKey({ ...options, envKey: key.toString("hex") }), key);
    await assert.rejects(loadSealingKey({ ...options, envKey: "too-short" }), (error: unknown) => isGatewayError(error) && /GATEHOUSE_ENCRYPTION_KEY must hold a 32-byte key .*openssl rand -base64 32/.test(error.message));
  });

  it("generates a key file (0600) on first start, reuses it, and warns when replicas could disagree", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-key-"));
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }));
    try {
      const first = await loadSealingKey({ envKey: undefined, dataDir: dir, isShared: false, logger });
      assert.equal((await stat(join(dir, KEY_FILE))).mode & 0o777, 0o600);
      assert.deepEqual(await loadSealingKey({ envKey: undefined, dataDir: dir, isShared: false, logger }), first);
      assert.equal(lines.length, 0, "embedded: no warning");
      await loadSealingKey({ envKey: undefined, dataDir: dir, isShared: true, logger });
      assert.match(lines.join(""), /GATEHOUSE_ENCRYPTION_KEY is not set.*Every gateway on this database must use the same key/);
      assert.equal((await readFile(join(dir, KEY_FILE), "utf8")).trim().length, 44);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

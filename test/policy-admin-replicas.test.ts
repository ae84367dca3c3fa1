// Several gateways on one database, each with its own copy of the policy file: a save on one, or a
// hand edit on one, reaches the others' files and decides their next calls.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { PolicyVersionEvent } from "../src/policies/index.ts";
import { isPolicyRefusal } from "../src/policies/index.ts";
import { startTestGateway, storageLabel, textOf, type TestGateway } from "./helpers/gateway.ts";
import { startCountingUpstream, type CountingUpstream } from "./helpers/upstream.ts";

const LIST = "smartlead_list_campaigns";
const pretty = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;
const V1 = pretty({ version: "1", default: "deny", tools: { [LIST]: {} } });
const PAUSED = pretty({ version: "1", default: "deny", tools: { [LIST]: { action: "deny", reason: "Listing is paused." } } });
const HAND_EDIT = pretty({ version: "1", default: "deny", tools: { [LIST]: { action: "deny", reason: "Paused by hand." } } });

// Embedded PGlite serves one gateway process (DESIGN §3); several gateways need PostgreSQL.
const skip = process.env.DATABASE_URL ? false : "several gateways need PostgreSQL (DATABASE_URL); the embedded database serves one gateway";

function nextApplied(gw: TestGateway): Promise<PolicyVersionEvent> {
  return new Promise((resolve) => {
    const stop = gw.instance.policyAdmin.subscribe((event) => {
      if (event.change !== "applied") return;
      stop();
      resolve(event);
    });
  });
}

describe(`policy versions across gateways (${storageLabel()})`, { skip }, () => {
  let upstream: CountingUpstream;
  let first: TestGateway;
  let second: TestGateway;

  const startReplica = (policy: string) =>
    startTestGateway({
      upstreams: { smartlead: upstream.config },
      policies: { smartlead: policy },
      extraConfig: { storage: { schema: first.instance.database.schema } },
      databaseUrl: first.instance.databaseUrl,
    });
  const fileOf = (gw: TestGateway) => gw.instance.config.upstreams[0]!.policyFile;
  const listAs = async (gw: TestGateway, token: string) => {
    const client = await gw.connect(token);
    return client.callTool({ name: LIST, arguments: {} });
  };

  before(async () => {
    upstream = await startCountingUpstream();
    first = await startTestGateway({ upstreams: { smartlead: upstream.config }, policies: { smartlead: V1 } });
    second = await startReplica(V1);
  });
  after(async () => {
    await second.close();
    await first.close();
    await upstream.close();
  });

  it("a save on one gateway is written to the other's file and decides its next call", async () => {
    const token = await first.createToken("replica-agent");
    assert.equal((await listAs(second, token)).isError, undefined);
    const applied = nextApplied(second);
    const saved = await first.instance.policyAdmin.save("smartlead", PAUSED, { by: "admin", expectedVersion: 1, source: "api" });
    assert.ok(!isPolicyRefusal(saved), JSON.stringify(saved));
    assert.deepEqual(await applied, { upstream: "smartlead", version: 2, sha256: saved.version.sha256, source: "api", createdBy: "admin", change: "applied" });
    assert.equal(await readFile(fileOf(second), "utf8"), PAUSED);
    assert.equal(textOf(await listAs(second, token)), "Listing is paused.");
  });

  it("a hand edit on one gateway becomes a version and reaches the other", async () => {
    const applied = nextApplied(first);
    await writeFile(fileOf(second), HAND_EDIT);
    const event = await applied;
    assert.deepEqual([event.version, event.source, event.createdBy], [3, "file", "system"]);
    assert.equal(await readFile(fileOf(first), "utf8"), HAND_EDIT);
    const history = await first.instance.policyAdmin.history("smartlead");
    assert.ok(!isPolicyRefusal(history));
    assert.deepEqual(
      history.versions.map((v) => [v.version, v.source]),
      [
        [3, "file"],
        [2, "api"],
        [1, "file"],
      ],
    );
    assert.equal(textOf(await listAs(first, await first.createToken("first-agent"))), "Paused by hand.");
  });

  it("a gateway that starts with an older version's file is brought up to the newest before it serves", async () => {
    const third = await startReplica(V1);
    try {
      assert.equal(await readFile(fileOf(third), "utf8"), HAND_EDIT);
      assert.equal(textOf(await listAs(third, await first.createToken("third-agent"))), "Paused by hand.");
      const history = await third.instance.policyAdmin.history("smartlead");
      assert.equal(!isPolicyRefusal(history) && history.versions.length, 3, "a stale copy is not a new version");
    } finally {
      await third.close();
    }
  });

  it("a gateway that starts with a text the history has never seen records it as a new version, which reaches the others", async () => {
    const unseen = pretty({ version: "1", default: "deny", tools: { [LIST]: { action: "deny", reason: "Edited while stopped." } } });
    const applied = nextApplied(first);
    const fourth = await startReplica(unseen);
    try {
      const event = await applied;
      assert.deepEqual([event.version, event.source, event.createdBy], [4, "file", "system"]);
      assert.equal(await readFile(fileOf(first), "utf8"), unseen);
    } finally {
      await fourth.close();
    }
  });

  it("rollback on one gateway reverts the other", async () => {
    const applied = nextApplied(second);
    const rolled = await first.instance.policyAdmin.rollback("smartlead", 1, { by: "admin" });
    assert.ok(!isPolicyRefusal(rolled));
    assert.equal((await applied).version, 5);
    assert.equal(await readFile(fileOf(second), "utf8"), V1);
    assert.equal((await listAs(second, await first.createToken("rollback-agent"))).isError, undefined);
  });
});

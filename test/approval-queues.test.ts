// The approval queues against a real backend: Redis when REDIS_URL is set, else BullMQ's PostgreSQL
// backend on DATABASE_URL, else on the embedded PGlite socket. Slack is a recording notifier here.
import { randomBytes, randomUUID } from "node:crypto";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import pg from "pg";
import { updateApprovalMessage } from "../src/approvals/queues/index.ts";
import { createApprovalQueues, type ApprovalJobEvent, type ApprovalQueues, type QueueBackendConfig } from "../src/approvals/queues/index.ts";
import type { Approval, ApprovalNotifier } from "../src/approvals/types.ts";
import { isGatewayError } from "../src/errors.ts";
import { EMBEDDED_QUEUE_SCHEMA, openEmbeddedDatabase, quoteIdent } from "../src/db/index.ts";
import { silentLogger } from "../src/log/index.ts";
import { approvalFixture } from "./helpers/slack-api.ts";

const FAST_RETRY = { initialDelayMs: 50, maxDelayMs: 200 };

describe("approval queues", () => {
  let backend: TestBackend;
  let queues: ApprovalQueues;
  const service = createMemoryService();
  const notifier = createRecordingNotifier();
  const events = createEventLog();
  const callbacks = createEventLog();

  before(async () => {
    backend = await openTestBackend();
    const started = Date.now();
    queues = await createApprovalQueues({
      backend: backend.config,
      service,
      notifier,
      logger: silentLogger(),
      retry: FAST_RETRY,
      onPosted: (id) => callbacks.push({ queue: "notify", approvalId: id, outcome: "posted" }),
      onExpired: (id) => callbacks.push({ queue: "expire", approvalId: id, outcome: "expired" }),
      onJobEvent: (event) => events.push(event),
    });
    console.error(`# ${backend.label}: queues started in ${Date.now() - started} ms`);
  });

  after(async () => {
    const closing = Date.now();
    await queues?.close();
    console.error(`# ${backend.label}: queues closed in ${Date.now() - closing} ms`);
    await backend?.close();
  });

  it("posts the reviewer message once when the notification is requested twice", async () => {
    const approval = service.add(makeApproval());
    await Promise.all([queues.requestNotification(approval), queues.requestNotification(approval)]);
    await events.next((e) => e.approvalId === approval.id && e.outcome === "posted");
    await callbacks.next((e) => e.approvalId === approval.id && e.outcome === "posted");
    await queues.requestNotification(approval);

    assert.equal(notifier.postsFor(approval.id).length, 1);
    const saved = await service.get(approval.id);
    assert.equal(saved?.slackChannel, "C-REVIEW");
    assert.equal(saved?.slackTs, notifier.postsFor(approval.id)[0]?.ts);
  });

  it("retries a failing Slack post with backoff while the approval stays pending", async () => {
    const approval = service.add(makeApproval());
    notifier.failPosts(approval.id, 2);
    await queues.requestNotification(approval);

    await events.next((e) => e.approvalId === approval.id && e.outcome === "retrying");
    const meanwhile = await service.get(approval.id);
    assert.equal(meanwhile?.status, "pending");
    assert.equal(meanwhile?.slackTs, null);

    await events.next((e) => e.approvalId === approval.id && e.outcome === "posted");
    assert.equal(events.all().filter((e) => e.approvalId === approval.id && e.outcome === "retrying").length, 2);
    assert.equal(notifier.postsFor(approval.id).length, 1);
    assert.equal((await service.get(approval.id))?.status, "pending");
  });

  it("posts on a new request after Slack failed every attempt", async () => {
    const approval = service.add(makeApproval());
    notifier.failPosts(approval.id, 12);
    await queues.requestNotification(approval);
    const failed = await events.next((e) => e.approvalId === approval.id && e.outcome === "failed");
    assert.match(failed.error ?? "", /service_unavailable/);
    assert.equal((await service.get(approval.id))?.status, "pending");
    assert.equal(notifier.postsFor(approval.id).length, 0);

    await queues.requestNotification(approval);
    await events.next((e) => e.approvalId === approval.id && e.outcome === "posted");
    assert.equal(notifier.postsFor(approval.id).length, 1);
  });

  it("catches up with a decision made while the message was being posted", async () => {
    const approval = service.add(makeApproval());
    notifier.whilePosting(approval.id, async () => {
      const decided = service.decide(approval.id, "approved");
      await queues.requestUpdate(decided);
      await events.next((e) => e.approvalId === approval.id && e.queue === "update");
    });
    await queues.requestNotification(approval);
    await events.next((e) => e.approvalId === approval.id && e.outcome === "posted");

    assert.deepEqual(notifier.postsFor(approval.id).map((p) => p.status), ["pending"]);
    assert.deepEqual(notifier.updatesFor(approval.id).map((u) => u.status), ["approved"]);
  });

  it("rewrites the posted message when the approval changes", async () => {
    const approval = service.add(makeApproval());
    await queues.requestNotification(approval);
    await events.next((e) => e.approvalId === approval.id && e.outcome === "posted");

    const decided = service.decide(approval.id, "approved");
    await queues.requestUpdate(decided);
    await events.next((e) => e.approvalId === approval.id && e.queue === "update" && e.outcome === "updated");

    const updates = notifier.updatesFor(approval.id);
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.status, "approved");
    assert.equal(updates[0]?.slackTs, notifier.postsFor(approval.id)[0]?.ts);
  });

  it("skips an update for a message not posted yet; the notification then posts the current state", async () => {
    const approval = service.add(makeApproval());
    const denied = service.decide(approval.id, "denied");
    await queues.requestUpdate(denied);
    await events.next((e) => e.approvalId === approval.id && e.queue === "update" && e.outcome === "skipped");
    assert.equal(notifier.updatesFor(approval.id).length, 0);

    await queues.requestNotification(denied);
    await events.next((e) => e.approvalId === approval.id && e.outcome === "posted");
    assert.deepEqual(
      notifier.postsFor(approval.id).map((p) => p.status),
      ["denied"],
    );
  });

  it("expires a pending approval when its deadline passes", async () => {
    const approval = service.add(makeApproval({ expiresAt: new Date(Date.now() + 300) }));
    const scheduledAt = Date.now();
    await queues.scheduleExpiry(approval);
    await queues.scheduleExpiry(approval);
    await callbacks.next((e) => e.approvalId === approval.id && e.outcome === "expired");
    const firedAt = Date.now();

    assert.ok(firedAt >= approval.expiresAt.getTime(), `fired ${approval.expiresAt.getTime() - firedAt} ms before the deadline`);
    assert.ok(firedAt - scheduledAt < 5_000, `fired ${firedAt - scheduledAt} ms after scheduling a 300 ms deadline`);
    assert.equal((await service.get(approval.id))?.status, "expired");
  });
});

describe("approval message rewriting", () => {
  it("writes again when the approval changed while the message was being rewritten", async () => {
    const service = createMemoryService();
    const notifier = createRecordingNotifier();
    const approval = service.add(makeApproval({ slackChannel: "C-REVIEW", slackTs: "1.000001" }));
    service.decide(approval.id, "approved");
    // A later transition lands while this job's chat.update is in flight; its own update job may have run first.
    notifier.whileUpdating(approval.id, async () => service.finish(approval.id, "succeeded"));

    const outcome = await updateApprovalMessage({ service, notifier, requestUpdate: async () => {} }, approval.id);

    assert.equal(outcome, "updated");
    assert.deepEqual(notifier.updatesFor(approval.id).map((u) => u.status), ["approved", "succeeded"]);
  });
});

describe("approval queues without Slack", () => {
  it("still expires, posts nothing, and closes idempotently without leaving sockets open", async (t) => {
    const backend = await openTestBackend();
    const service = createMemoryService();
    const events = createEventLog();
    const baseline = openSockets();
    try {
      const started = Date.now();
      const queues = await createApprovalQueues({
        backend: backend.config,
        service,
        notifier: null,
        logger: silentLogger(),
        retry: FAST_RETRY,
        onExpired: (id) => events.push({ queue: "expire", approvalId: id, outcome: "expired" }),
      });
      t.diagnostic(`${backend.label}: queues started in ${Date.now() - started} ms`);

      const approval = service.add(makeApproval({ expiresAt: new Date(Date.now() + 300) }));
      await queues.requestNotification(approval);
      await queues.requestUpdate(approval);
      await queues.scheduleExpiry(approval);
      await events.next((e) => e.approvalId === approval.id && e.outcome === "expired");
      assert.equal((await service.get(approval.id))?.slackTs, null);

      const closing = Date.now();
      await Promise.all([queues.close(), queues.close()]);
      await queues.close();
      t.diagnostic(`${backend.label}: queues closed in ${Date.now() - closing} ms`);
      await waitFor(() => openSockets() <= baseline, () => `sockets still open after close: ${openSockets()} > ${baseline}`);

      // A request arriving during shutdown fails at once instead of waiting out the enqueue timeout.
      const late = Date.now();
      await assert.rejects(queues.scheduleExpiry(approval), (error: unknown) => isGatewayError(error) && error.code === "storage_unavailable" && /the approval queues are closed/.test(error.message));
      assert.ok(Date.now() - late < 1_000, `took ${Date.now() - late} ms`);
    } finally {
      await backend.close();
    }
  });
});

describe("approval queues while the event loop is busy", () => {
  // A burst of held calls keeps the loop busy for seconds; the enqueue timeout counts only time in which
  // the answer could have been read (src/db/deadline.ts), so the job is queued, not refused.
  it("queues a job whose answer arrived while the loop was busy past the enqueue timeout", async () => {
    const backend = await openTestBackend();
    const service = createMemoryService();
    try {
      const queues = await createApprovalQueues({ backend: backend.config, service, notifier: null, logger: silentLogger(), enqueueTimeoutMs: 500 });
      try {
        const approval = service.add(makeApproval({ expiresAt: new Date(Date.now() + 60_000) }));
        const queued = queues.scheduleExpiry(approval);
        setImmediate(() => {
          const until = performance.now() + 1_500;
          while (performance.now() < until);
        });
        await queued;
      } finally {
        await queues.close();
      }
    } finally {
      await backend.close();
    }
  });
});

describe("approval queues when the backend goes away", () => {
  it("rejects new requests as retryable and still closes completely", async (t) => {
    const backend = await openTestBackend();
    const proxy = await openCuttableProxy(backend.config.url);
    const baseline = openSockets();
    try {
      const queues = await createApprovalQueues({
        backend: { ...backend.config, url: proxy.url },
        service: createMemoryService(),
        notifier: createRecordingNotifier(),
        logger: silentLogger(),
        enqueueTimeoutMs: 500,
        closeTimeoutMs: 2_000,
      });
      proxy.cut();

      const request = queues.requestNotification(makeApproval());
      await assert.rejects(request, (error: unknown) => {
        assert.ok(isGatewayError(error), String(error));
        assert.equal(error.code, "storage_unavailable");
        assert.equal(error.retryable, true);
        return true;
      });

      const closing = Date.now();
      await queues.close();
      t.diagnostic(`${backend.label}: closed with the backend unreachable in ${Date.now() - closing} ms`);
      await waitFor(() => openSockets() <= baseline, () => `sockets still open after close: ${openSockets()} > ${baseline}`);
    } finally {
      await proxy.close();
      await backend.close();
    }
  });
});

interface TestBackend {
  label: string;
  config: QueueBackendConfig;
  close(): Promise<void>;
}

async function openTestBackend(): Promise<TestBackend> {
  const suffix = randomBytes(6).toString("hex");
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl) {
    const prefix = `gh_test_${suffix}`;
    return {
      label: "redis",
      config: { kind: "redis", url: redisUrl, prefix },
      close: () => deleteRedisKeys(redisUrl, prefix),
    };
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const schema = `gh_queues_${suffix}`;
    return {
      label: "postgres",
      config: { kind: "postgres", url: databaseUrl, schema },
      close: async () => {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  }
  const embedded = await openEmbeddedDatabase(null);
  return { label: "embedded", config: { kind: "postgres", url: embedded.url, schema: EMBEDDED_QUEUE_SCHEMA }, close: embedded.close };
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}

/** A fresh pending approval (unique ids: job ids are per approval) in the recording notifier's channel. */
function makeApproval(overrides: Partial<Approval> = {}): Approval {
  const base = approvalFixture();
  return approvalFixture({
    id: randomUUID(),
    callId: randomUUID(),
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 15 * 60_000),
    spec: { ...base.spec, channel: "C-REVIEW" },
    ...overrides,
  });
}

/** The three service calls the queues make, over a Map, with the state machine's rules for expiry. */
function createMemoryService() {
  const rows = new Map<string, Approval>();
  return {
    add(approval: Approval): Approval {
      rows.set(approval.id, structuredClone(approval));
      return structuredClone(approval);
    },
    decide(id: string, status: "approved" | "denied"): Approval {
      const row = rows.get(id)!;
      Object.assign(row, { status, decidedBy: "<@U012AB3CD>", decidedAt: new Date(), version: row.version + 1 });
      row.votes.push({ voter: "slack:T1:U012AB3CD", vote: status === "approved" ? "approve" : "deny", reason: null, createdAt: new Date() });
      return structuredClone(row);
    },
    finish(id: string, status: "succeeded" | "failed"): void {
      const row = rows.get(id)!;
      Object.assign(row, { status, finishedAt: new Date(), version: row.version + 1 });
    },
    async get(id: string): Promise<Approval | null> {
      const row = rows.get(id);
      return row ? structuredClone(row) : null;
    },
    async expire(id: string): Promise<boolean> {
      const row = rows.get(id);
      if (!row || row.status !== "pending" || row.expiresAt.getTime() > Date.now()) return false;
      row.status = "expired";
      row.version += 1;
      return true;
    },
    async setSlackMessage(id: string, channel: string, ts: string): Promise<void> {
      const row = rows.get(id);
      if (row) Object.assign(row, { slackChannel: channel, slackTs: ts });
    },
    async markSlackShown(id: string, version: number): Promise<void> {
      const row = rows.get(id);
      if (row) row.slackVersion = Math.max(row.slackVersion ?? -1, version);
    },
  };
}

function createRecordingNotifier() {
  const posts: Array<{ id: string; status: string; ts: string }> = [];
  const updates: Array<{ id: string; status: string; slackTs: string }> = [];
  const failuresLeft = new Map<string, number>();
  const duringPost = new Map<string, () => Promise<void>>();
  const duringUpdate = new Map<string, () => Promise<void>>();
  const notifier: ApprovalNotifier = {
    async post(approval) {
      const hook = duringPost.get(approval.id);
      duringPost.delete(approval.id);
      await hook?.();
      const left = failuresLeft.get(approval.id) ?? 0;
      if (left > 0) {
        failuresLeft.set(approval.id, left - 1);
        throw new Error("slack_webapi_platform_error: service_unavailable");
      }
      const ts = `${Date.now()}.${String(posts.length).padStart(6, "0")}`;
      posts.push({ id: approval.id, status: approval.status, ts });
      return { channel: "C-REVIEW", ts };
    },
    async update(approval) {
      const hook = duringUpdate.get(approval.id);
      duringUpdate.delete(approval.id);
      await hook?.();
      updates.push({ id: approval.id, status: approval.status, slackTs: approval.slackTs });
    },
  };
  return {
    ...notifier,
    failPosts: (id: string, times: number) => failuresLeft.set(id, times),
    /** Runs `hook` inside the next post for this approval, before Slack "answers". */
    whilePosting: (id: string, hook: () => Promise<void>) => duringPost.set(id, hook),
    whileUpdating: (id: string, hook: () => Promise<void>) => duringUpdate.set(id, hook),
    postsFor: (id: string) => posts.filter((p) => p.id === id),
    updatesFor: (id: string) => updates.filter((u) => u.id === id),
  };
}

/** Collects job events; `next` resolves with the first (past or future) event matching. */
function createEventLog() {
  const seen: ApprovalJobEvent[] = [];
  const waiters: Array<{ matches: (e: ApprovalJobEvent) => boolean; resolve: (e: ApprovalJobEvent) => void }> = [];
  return {
    push(event: ApprovalJobEvent) {
      seen.push(event);
      for (const waiter of waiters.filter((w) => w.matches(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    },
    all: () => [...seen],
    next(matches: (e: ApprovalJobEvent) => boolean): Promise<ApprovalJobEvent> {
      const found = seen.find(matches);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ matches, resolve }));
    },
  };
}

/** A TCP relay to the backend that the test can cut, as if the server went away. */
async function openCuttableProxy(targetUrl: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(targetUrl);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cut = () => {
    server.close();
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: url.toString(),
    cut,
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "TCPSocketWrap").length;
}

async function waitFor(isDone: () => boolean, describe: () => string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) assert.fail(describe());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

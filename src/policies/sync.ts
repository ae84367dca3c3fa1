// Keeps each upstream's policy file and its history in step. Once a version is recorded, the newest
// policy_versions row is the truth: a save writes it to this gateway's file, and every other gateway
// on the database (woken by NOTIFY, or by a slow poll) writes it to its own copy, which its watcher
// then loads. A valid change made to a file by hand, once loaded, is recorded as a new version (source
// "file"), so the history is complete and reaches the other gateways the same way.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { AuditWriter } from "../audit/index.ts";
import { listenToChannel, schemaChannel, type ChannelListener, type Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import { parsePolicy } from "../policy/index.ts";
import type { PolicySource } from "../proxy/index.ts";
import { readPolicyFile, sha256Text, writeFileAtomic } from "./file.ts";
import type { LockedVersions, PolicyVersionWithContent, VersionStore } from "./versions.ts";

export interface PolicySyncDeps {
  database: Database;
  versions: VersionStore;
  policies: PolicySource;
  /** Upstream name → its policy file on this gateway. */
  files: ReadonlyMap<string, string>;
  audit: AuditWriter;
  logger: Logger;
  /** Connection string for LISTEN; null on embedded PGlite (one gateway, polling only). */
  listenUrl: string | null;
  /** How often to look for versions saved elsewhere, in case a notification was missed. */
  pollMs?: number;
}

export interface CommitRequest {
  content: string;
  source: string;
  createdBy: string;
  comment?: string | null;
  restoredFrom?: number | null;
  /** The version the editor started from; a newer one means someone saved meanwhile. */
  expectedVersion?: number;
}

/**
 * A version this gateway recorded (a save here, or a file edit found here), or one recorded elsewhere
 * that this gateway has written to its file and loaded.
 */
export interface PolicyVersionEvent {
  upstream: string;
  version: number;
  sha256: string;
  source: string;
  createdBy: string;
  change: "recorded" | "applied";
}

export type CommitOutcome =
  | { kind: "saved"; version: PolicyVersionWithContent; previous: PolicyVersionWithContent | null }
  | { kind: "unchanged"; version: PolicyVersionWithContent }
  | { kind: "conflict"; currentVersion: number };

export interface PolicySync {
  /** Brings every upstream in step once (recording version 1 where the history is empty), then follows changes. */
  start(): Promise<void>;
  commit(upstream: string, request: CommitRequest): Promise<CommitOutcome>;
  /** Compares file, loaded policy and history for one upstream and acts; concurrent calls coalesce. */
  reconcile(upstream: string): Promise<void>;
  subscribe(listener: (event: PolicyVersionEvent) => void): () => void;
  close(): Promise<void>;
}

const DEFAULT_POLL_MS = 10_000;

export function createPolicySync(deps: PolicySyncDeps): PolicySync {
  const { versions, policies, files, logger } = deps;
  const channel = schemaChannel("gatehouse_policies", deps.database.schema);
  const origin = randomUUID();
  /** Per upstream: the version this gateway's file was last known to hold. */
  const known = new Map<string, { version: number; sha256: string }>();
  const runs = new Map<string, { isDirty: boolean; done: Promise<void> }>();
  const events = new EventEmitter().setMaxListeners(0);
  const emit = (version: PolicyVersionWithContent, change: PolicyVersionEvent["change"]) => {
    const event: PolicyVersionEvent = { upstream: version.upstream, version: version.version, sha256: version.sha256, source: version.source, createdBy: version.createdBy, change };
    events.emit("version", event);
  };
  let listener: ChannelListener | null = null;
  let poller: NodeJS.Timeout | undefined;
  let unsubscribe = () => {};
  let isClosed = false;

  const remember = (version: PolicyVersionWithContent) => known.set(version.upstream, { version: version.version, sha256: version.sha256 });

  async function announce(version: PolicyVersionWithContent, previous: PolicyVersionWithContent | null): Promise<void> {
    await deps.audit.record({
      event: {
        type: "policy.saved",
        actor: version.createdBy,
        upstream: version.upstream,
        data: {
          version: version.version,
          sha256: version.sha256,
          source: version.source,
          comment: version.comment,
          restoredFrom: version.restoredFrom,
          previousVersion: previous?.version ?? null,
          previousSha256: previous?.sha256 ?? null,
        },
      },
    });
    emit(version, "recorded");
    if (!deps.listenUrl) return;
    const payload = JSON.stringify({ upstream: version.upstream, version: version.version, origin });
    await deps.database.pool.query("SELECT pg_notify($1, $2)", [channel, payload]).catch(() => {});
  }

  async function commit(upstream: string, request: CommitRequest): Promise<CommitOutcome> {
    const file = fileOf(upstream);
    const sha256 = sha256Text(request.content);
    const outcome = await versions.locked(upstream, async (locked): Promise<CommitOutcome> => {
      const latest = await locked.latest();
      const currentVersion = latest?.version ?? 0;
      if (request.expectedVersion !== undefined && request.expectedVersion !== currentVersion) return { kind: "conflict", currentVersion };
      if (latest?.sha256 === sha256) {
        if ((await readPolicyFile(file))?.sha256 !== sha256) await writeFileAtomic(file, request.content);
        return { kind: "unchanged", version: latest };
      }
      const version = await locked.insert({
        version: currentVersion + 1,
        content: request.content,
        sha256,
        source: request.source,
        createdBy: request.createdBy,
        comment: request.comment ?? null,
        restoredFrom: request.restoredFrom ?? null,
      });
      // Written before COMMIT: a file that cannot be written rolls the version back. (A COMMIT that
      // fails after the write leaves a valid file without its row; it is then recorded as a file edit.)
      await writeFileAtomic(file, request.content);
      return { kind: "saved", version, previous: latest };
    });
    if (outcome.kind === "conflict") return outcome;
    remember(outcome.version);
    if (outcome.kind === "saved") await announce(outcome.version, outcome.previous);
    return outcome;
  }

  type Step =
    | { kind: "none" }
    | { kind: "refresh" }
    | { kind: "recorded"; version: PolicyVersionWithContent; previous: PolicyVersionWithContent | null }
    | { kind: "applied"; version: PolicyVersionWithContent };

  async function decide(upstream: string, locked: LockedVersions): Promise<Step> {
    const file = fileOf(upstream);
    const onDisk = await readPolicyFile(file);
    const loaded = policies.loaded(upstream);
    const latest = await locked.latest();
    const last = known.get(upstream);
    if (!latest) {
      if (!onDisk || loaded?.sha256 !== onDisk.sha256) return { kind: "none" };
      const version = await locked.insert({ version: 1, content: onDisk.text, sha256: onDisk.sha256, source: "file", createdBy: "system" });
      remember(version);
      return { kind: "recorded", version, previous: null };
    }
    if (onDisk?.sha256 === latest.sha256) {
      remember(latest);
      return loaded?.sha256 === latest.sha256 ? { kind: "none" } : { kind: "refresh" };
    }
    const isValid = onDisk !== null && parsePolicy(onDisk.text, file).ok;
    // A copy this gateway already had in step (or, before it knows, any content the history holds) is
    // stale; anything else on disk was written by a person.
    const isStale = onDisk !== null && (last ? onDisk.sha256 === last.sha256 : await locked.hasContent(onDisk.sha256));
    if (isValid && !isStale) {
      if (loaded?.sha256 !== onDisk.sha256) return { kind: "none" }; // recorded once the watcher has loaded it
      const version = await locked.insert({ version: latest.version + 1, content: onDisk.text, sha256: onDisk.sha256, source: "file", createdBy: "system" });
      remember(version);
      return { kind: "recorded", version, previous: latest };
    }
    // A broken or missing file is left alone (its errors show; the last good policy stays in force)
    // unless a version newer than the one it replaced has been saved since.
    if (!isStale && !(last && latest.version > last.version)) return { kind: "none" };
    if (!last) logger.warn({ upstream, file, version: latest.version }, "policy file holds an older version; replacing it with the newest");
    await writeFileAtomic(file, latest.content);
    remember(latest);
    return { kind: "applied", version: latest };
  }

  async function reconcileOnce(upstream: string): Promise<void> {
    const step = await versions.locked(upstream, (locked) => decide(upstream, locked));
    if (step.kind === "recorded") {
      logger.info({ upstream, version: step.version.version }, "policy changed on disk; recorded as a new version");
      await announce(step.version, step.previous);
    } else if (step.kind === "applied") {
      await policies.refresh(upstream);
      logger.info({ upstream, version: step.version.version }, "policy version saved elsewhere written to this gateway's file");
      emit(step.version, "applied");
    } else if (step.kind === "refresh") {
      await policies.refresh(upstream);
    }
  }

  function reconcile(upstream: string): Promise<void> {
    const running = runs.get(upstream);
    if (running) {
      running.isDirty = true;
      return running.done;
    }
    const run = { isDirty: false, done: Promise.resolve() };
    run.done = (async () => {
      try {
        do {
          run.isDirty = false;
          if (isClosed) return;
          await reconcileOnce(upstream).catch((error: unknown) =>
            logger.warn({ upstream, err: (error as Error).message }, "could not bring the policy file and its history in step; will retry"),
          );
        } while (run.isDirty);
      } finally {
        runs.delete(upstream);
      }
    })();
    runs.set(upstream, run);
    return run.done;
  }

  async function pollOnce(): Promise<void> {
    for (const upstream of files.keys()) {
      const latest = await versions.latest(upstream).catch(() => null);
      if (latest && latest.version !== known.get(upstream)?.version) await reconcile(upstream);
    }
  }

  function fileOf(upstream: string): string {
    const file = files.get(upstream);
    if (!file) throw new Error(`no policy file for upstream ${upstream}`);
    return file;
  }

  return {
    async start() {
      // Listen first, so a version saved elsewhere while this gateway catches up is not missed.
      if (deps.listenUrl) {
        listener = listenToChannel(
          deps.listenUrl,
          channel,
          (payload) => {
            try {
              const message = JSON.parse(payload) as { upstream?: string; origin?: string };
              if (message.origin !== origin && message.upstream && files.has(message.upstream)) void reconcile(message.upstream);
            } catch {
              // a foreign payload on our channel: ignore
            }
          },
          logger,
        );
        await listener.ready;
      }
      unsubscribe = policies.subscribe((upstream) => void reconcile(upstream));
      await Promise.all([...files.keys()].map(reconcile));
      poller = setInterval(() => void pollOnce(), deps.pollMs ?? DEFAULT_POLL_MS);
      poller.unref();
    },
    commit,
    reconcile,
    subscribe(listener) {
      events.on("version", listener);
      return () => void events.off("version", listener);
    },
    async close() {
      isClosed = true;
      unsubscribe();
      clearInterval(poller);
      await listener?.close();
      await Promise.all([...runs.values()].map((run) => run.done));
    },
  };
}

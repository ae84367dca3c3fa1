// Series read when Prometheus scrapes rather than kept in memory. Pending approvals come from the
// database, so every replica sharing it reports the same number; the audit backlog comes from this
// process's writer. A database that is down or slow never fails the scrape: the pending series are
// left out of it and gatehouse_database_up reads 0.
import { Gauge, type Registry } from "prom-client";

export interface ScrapeSources {
  /** Pending approvals per upstream: one query on the approvals' status index. */
  pendingApprovals?: () => Promise<ReadonlyMap<string, number>>;
  /** Upstreams reported with 0 when none of their approvals is pending (the configured ones). */
  upstreams?: () => Iterable<string>;
  /** This process's audit entries waiting to be committed, and how long the oldest has waited. */
  auditBacklog?: () => { pending: number; oldestPendingSeconds: number };
  /** Held calls of this process waiting for their turn to record their approval request (a burst). */
  approvalRequestsWaiting?: () => number;
}

/** How long a scrape waits for the pending count before leaving it out. */
export const PENDING_QUERY_TIMEOUT_MS = 2_000;

type PendingRead = { ok: true; counts: ReadonlyMap<string, number> } | { ok: false };

export function createScrapeReaders(registers: Registry[]): { attach(sources: ScrapeSources): void } {
  let sources: ScrapeSources = {};
  const readPending = createSharedRead(() => sources.pendingApprovals?.() ?? Promise.reject(new Error("no source")));

  new Gauge({
    name: "gatehouse_approvals_pending",
    help: "Approval requests waiting for a decision, by upstream (read from the database: the same on every replica)",
    labelNames: ["upstream"],
    registers,
    async collect() {
      const read = await readPending();
      this.reset();
      if (!read.ok) return;
      for (const upstream of sources.upstreams?.() ?? []) this.set({ upstream }, 0);
      for (const [upstream, count] of read.counts) this.set({ upstream }, count);
    },
  });
  new Gauge({
    name: "gatehouse_database_up",
    help: `1 when this scrape read the pending approvals from the database within ${PENDING_QUERY_TIMEOUT_MS / 1000} s, else 0`,
    registers,
    async collect() {
      this.set((await readPending()).ok ? 1 : 0);
    },
  });
  new Gauge({
    name: "gatehouse_audit_pending_entries",
    help: "Audit entries recorded by this process and not yet committed",
    registers,
    collect() {
      this.set(sources.auditBacklog?.().pending ?? 0);
    },
  });
  new Gauge({
    name: "gatehouse_audit_oldest_pending_seconds",
    help: "How long the oldest audit entry not yet committed has waited (0 when none waits)",
    registers,
    collect() {
      this.set(sources.auditBacklog?.().oldestPendingSeconds ?? 0);
    },
  });
  new Gauge({
    name: "gatehouse_approval_requests_waiting",
    help: "Calls that need approval and wait in this process for their turn to record the request (a burst larger than the database takes at once)",
    registers,
    collect() {
      this.set(sources.approvalRequestsWaiting?.() ?? 0);
    },
  });
  return {
    attach(next) {
      sources = { ...sources, ...next };
    },
  };
}

// The gauges of one scrape share one read; a query still running from an earlier scrape (database hung)
// is awaited again rather than joined by another one.
function createSharedRead(query: () => Promise<ReadonlyMap<string, number>>): () => Promise<PendingRead> {
  let running: Promise<ReadonlyMap<string, number>> | null = null;
  let shared: Promise<PendingRead> | null = null;
  const read = async (): Promise<PendingRead> => {
    running ??= query().finally(() => {
      running = null;
    });
    try {
      return { ok: true, counts: await withTimeout(running, PENDING_QUERY_TIMEOUT_MS) };
    } catch {
      return { ok: false };
    } finally {
      shared = null;
    }
  };
  return () => (shared ??= read());
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

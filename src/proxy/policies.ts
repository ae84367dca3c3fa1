// One hot-reloading policy holder per upstream. A missing or invalid policy leaves `current` null,
// which the gateway treats as "deny everything" (fail closed).
import type { ResolvedUpstream } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { CompiledPolicy, PolicyIssue } from "../policy/index.ts";
import { createPolicyHolder, formatPolicyIssue } from "../policy/index.ts";

export interface PolicySource {
  current(upstream: string): CompiledPolicy | null;
  /** Per upstream: the file and the errors of the last rejected edit (null when the last load was good). */
  status(): Array<{ upstream: string; file: string; isLoaded: boolean; errors: string[] | null }>;
  /** The exact text in force for the upstream and its SHA-256, or null when none has loaded. */
  loaded(upstream: string): { text: string; sha256: string } | null;
  /** Reads the upstream's file now and settles once the result (new policy or rejected edit) is in force. */
  refresh(upstream: string): Promise<void>;
  /** Called after every reload or rejected edit, in this process. */
  subscribe(listener: (upstream: string, type: "reloaded" | "error") => void): () => void;
  close(): Promise<void>;
}

export async function loadPolicies(
  upstreams: readonly ResolvedUpstream[],
  options: { logger: Logger; metrics: Metrics; onEvent?: (upstream: string, type: "reloaded" | "error", detail: string[]) => void },
): Promise<PolicySource> {
  const listeners = new Set<(upstream: string, type: "reloaded" | "error") => void>();
  const holders = new Map(
    upstreams.map((u) => {
      const holder = createPolicyHolder(u.policyFile, {
        onChange(event) {
          const issues = event.type === "error" ? event.issues.map((i: PolicyIssue) => formatPolicyIssue(i)) : [];
          options.metrics.policyReloads.inc({ upstream: u.name, result: event.type });
          if (event.type === "error") options.logger.error({ upstream: u.name, issues }, "policy change rejected; keeping the last good policy");
          else options.logger.info({ upstream: u.name, file: u.policyFile }, "policy reloaded");
          options.onEvent?.(u.name, event.type, issues);
          for (const listener of listeners) listener(u.name, event.type);
        },
      });
      return [u.name, { holder, file: u.policyFile }] as const;
    }),
  );
  await Promise.all([...holders.values()].map((h) => h.holder.ready));
  for (const [name, { holder, file }] of holders) {
    const errors = holder.lastError();
    if (errors) options.logger.error({ upstream: name, file, issues: errors.map(formatPolicyIssue) }, "policy invalid; calls to this upstream are denied");
  }
  return {
    current: (upstream) => holders.get(upstream)?.holder.current() ?? null,
    status: () =>
      [...holders.entries()].map(([upstream, { holder, file }]) => ({
        upstream,
        file,
        isLoaded: holder.current() !== null,
        errors: holder.lastError()?.map(formatPolicyIssue) ?? null,
      })),
    loaded: (upstream) => holders.get(upstream)?.holder.loaded() ?? null,
    refresh: async (upstream) => {
      await holders.get(upstream)?.holder.refresh();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close: async () => {
      await Promise.all([...holders.values()].map((h) => h.holder.close()));
    },
  };
}

// Policy administration behind the dashboard's Policies page and /api/policies: status, content,
// validation, diff, dry run, effective decisions per grant, and versioned saves and rollbacks. Every
// answer is a plain JSON-able value; expected refusals (unknown upstream, invalid policy, someone saved
// meanwhile) are values with a stable `code`, never exceptions.
import { eq } from "drizzle-orm";
import type { AuditWriter } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { grants } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import type { CompiledPolicy, EffectiveDecision } from "../policy/index.ts";
import { denyWithoutPolicy, effectiveDecisions } from "../policy/index.ts";
import type { PolicySource, UpstreamConnection } from "../proxy/index.ts";
import { diffPolicyTexts, type PolicyDiffSummary } from "./diff.ts";
import { dryRunPolicy, type DryRunReport } from "./dry-run.ts";
import { readPolicyFile } from "./file.ts";
import { createPolicySync, type PolicyVersionEvent } from "./sync.ts";
import { validatePolicyText, type PolicyProblem, type ToolList, type ValidationReport } from "./validate.ts";
import { createVersionStore, type PolicyVersion, type PolicyVersionWithContent } from "./versions.ts";

export interface PolicyAdminDeps {
  database: Database;
  /** The config's upstreams with their policy files. */
  upstreams: ReadonlyArray<{ name: string; policyFile: string }>;
  policies: PolicySource;
  /** The upstream connections, for their tool lists. */
  connections: ReadonlyMap<string, UpstreamConnection>;
  audit: AuditWriter;
  logger: Logger;
  /** Connection string for LISTEN (null on embedded PGlite). */
  listenUrl: string | null;
  pollMs?: number;
}

export type PolicyRefusal =
  | { ok: false; code: "not_found"; detail: string }
  | { ok: false; code: "invalid_policy"; detail: string; issues: PolicyProblem[]; warnings: PolicyProblem[] }
  | { ok: false; code: "version_conflict"; detail: string; currentVersion: number; expectedVersion: number };

export interface PolicyStatus {
  upstream: string;
  file: string;
  /** Newest recorded version, null before any. */
  version: number | null;
  /** SHA-256 of the policy in force, null when none loaded. */
  sha256: string | null;
  isLoaded: boolean;
  /** True when the policy in force is the newest version. */
  isCurrent: boolean;
  /** Errors of the last rejected edit, null when the file on disk is the policy in force. */
  errors: string[] | null;
}

export interface PolicyContent extends PolicyStatus {
  ok: true;
  /** The file's text as on disk (null when unreadable). */
  content: string | null;
  /** SHA-256 of `content`. */
  contentSha256: string | null;
  /** The version `content` is, or null (an edit that was rejected, or not yet recorded). */
  contentVersion: number | null;
}

export type SaveSource = "dashboard" | "api" | "cli";

export interface SaveOptions {
  /** The person saving: "admin", "reviewer:alice", … (the audit actor). */
  by: string;
  comment?: string;
  /** The version the edit started from; refused with version_conflict when another save came first. */
  expectedVersion?: number;
  source: SaveSource;
}

export interface SaveResult {
  ok: true;
  upstream: string;
  version: PolicyVersion;
  /** The content was already the newest version: nothing new was recorded. */
  isUnchanged: boolean;
  /** This gateway runs exactly this content now (false only if the file changed again meanwhile). */
  isLoaded: boolean;
  warnings: PolicyProblem[];
}

export interface EffectiveReport {
  ok: true;
  upstream: string;
  grant: { name: string; owner: string | null; labels: Record<string, string>; isRevoked: boolean } | null;
  /** The version evaluated (the newest), or null for a candidate text or a policy not yet recorded. */
  version: number | null;
  isLoaded: boolean;
  tools: EffectiveDecision[];
  /** Why the upstream's tools could not be listed (then only tools the policy names are shown). */
  toolsError: string | null;
}

export interface PolicyAdmin {
  list(): Promise<{ policies: PolicyStatus[] }>;
  get(upstream: string): Promise<PolicyContent | PolicyRefusal>;
  validate(upstream: string, content: string): Promise<ValidationReport | PolicyRefusal>;
  diff(upstream: string, content: string): Promise<{ ok: true; upstream: string; fromVersion: number | null; diff: string; summary: PolicyDiffSummary | null } | PolicyRefusal>;
  dryRun(upstream: string, content: string, options?: { limit?: number }): Promise<(DryRunReport & { ok: true }) | PolicyRefusal>;
  effective(upstream: string, grantName: string | null, options?: { content?: string }): Promise<EffectiveReport | PolicyRefusal>;
  save(upstream: string, content: string, options: SaveOptions): Promise<SaveResult | PolicyRefusal>;
  history(upstream: string): Promise<{ ok: true; upstream: string; versions: PolicyVersion[] } | PolicyRefusal>;
  version(upstream: string, version: number): Promise<({ ok: true } & PolicyVersionWithContent) | PolicyRefusal>;
  rollback(upstream: string, version: number, options: { by: string; comment?: string; expectedVersion?: number }): Promise<SaveResult | PolicyRefusal>;
  /** Versions recorded by this gateway, and versions from other gateways once this one runs them. */
  subscribe(listener: (event: PolicyVersionEvent) => void): () => void;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const DRY_RUN_DEFAULT_LIMIT = 200;
export const DRY_RUN_MAX_LIMIT = 1000;

/** True for the refusal values (they carry a `code`); a ValidationReport with ok false is not one. */
export function isPolicyRefusal(value: object): value is PolicyRefusal {
  return "code" in value;
}

export function createPolicyAdmin(deps: PolicyAdminDeps): PolicyAdmin {
  const { database, policies } = deps;
  const files = new Map(deps.upstreams.map((u) => [u.name, u.policyFile] as const));
  const versions = createVersionStore(database);
  const sync = createPolicySync({ database, versions, policies, files, audit: deps.audit, logger: deps.logger, listenUrl: deps.listenUrl, pollMs: deps.pollMs });

  const notFound = (upstream: string): PolicyRefusal => ({ ok: false, code: "not_found", detail: `No upstream named "${upstream}"` });

  async function status(upstream: string, file: string): Promise<PolicyStatus> {
    const latest = await versions.latest(upstream);
    const loaded = policies.loaded(upstream);
    const errors = policies.status().find((entry) => entry.upstream === upstream)?.errors ?? null;
    return {
      upstream,
      file,
      version: latest?.version ?? null,
      sha256: loaded?.sha256 ?? null,
      isLoaded: loaded !== null,
      isCurrent: loaded !== null && loaded.sha256 === latest?.sha256,
      errors,
    };
  }

  async function toolsOf(upstream: string): Promise<ToolList> {
    const connection = deps.connections.get(upstream);
    const cached = connection?.cachedTools();
    if (cached) return { ok: true, names: cached.map((tool) => tool.name) };
    if (!connection || connection.status().state !== "ready") return { ok: false, reason: `upstream ${connection?.status().state ?? "unknown"}` };
    try {
      return { ok: true, names: (await connection.listTools()).map((tool) => tool.name) };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  async function check(upstream: string, content: string) {
    const file = files.get(upstream)!;
    return validatePolicyText(content, file, await toolsOf(upstream));
  }

  function invalid(report: ValidationReport): PolicyRefusal {
    const count = report.issues.length;
    return { ok: false, code: "invalid_policy", detail: `The policy has ${count} problem${count === 1 ? "" : "s"}`, issues: report.issues, warnings: report.warnings };
  }

  async function commit(upstream: string, content: string, request: { by: string; source: string; comment?: string; expectedVersion?: number; restoredFrom?: number }): Promise<SaveResult | PolicyRefusal> {
    const { report } = await check(upstream, content);
    if (!report.ok) return invalid(report);
    const outcome = await sync.commit(upstream, { content, source: request.source, createdBy: request.by, comment: request.comment ?? null, restoredFrom: request.restoredFrom ?? null, expectedVersion: request.expectedVersion });
    if (outcome.kind === "conflict") {
      return {
        ok: false,
        code: "version_conflict",
        detail: `The policy was saved meanwhile: it is at version ${outcome.currentVersion}, not ${request.expectedVersion}. Reload it and edit again.`,
        currentVersion: outcome.currentVersion,
        expectedVersion: request.expectedVersion!,
      };
    }
    // The file is written: have this gateway load it now rather than when its watcher notices.
    await policies.refresh(upstream);
    const { content: _content, ...version } = outcome.version;
    return { ok: true, upstream, version, isUnchanged: outcome.kind === "unchanged", isLoaded: policies.loaded(upstream)?.sha256 === version.sha256, warnings: report.warnings };
  }

  return {
    async list() {
      return { policies: await Promise.all([...files].map(([upstream, file]) => status(upstream, file))) };
    },

    async get(upstream) {
      const file = files.get(upstream);
      if (!file) return notFound(upstream);
      const [base, onDisk, latest] = await Promise.all([status(upstream, file), readPolicyFile(file), versions.latest(upstream)]);
      const contentVersion = onDisk && latest?.sha256 === onDisk.sha256 ? latest.version : null;
      return { ok: true, ...base, content: onDisk?.text ?? null, contentSha256: onDisk?.sha256 ?? null, contentVersion };
    },

    async validate(upstream, content) {
      if (!files.has(upstream)) return notFound(upstream);
      return (await check(upstream, content)).report;
    },

    async diff(upstream, content) {
      const file = files.get(upstream);
      if (!file) return notFound(upstream);
      const latest = await versions.latest(upstream);
      const before = latest ? { label: `version ${latest.version}`, text: latest.content } : { label: "on disk", text: (await readPolicyFile(file))?.text ?? "" };
      return { ok: true, upstream, fromVersion: latest?.version ?? null, ...diffPolicyTexts(file, before, { label: "candidate", text: content }) };
    },

    async dryRun(upstream, content, options = {}) {
      if (!files.has(upstream)) return notFound(upstream);
      const { report, policy } = await check(upstream, content);
      if (!policy) return invalid(report);
      const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? DRY_RUN_DEFAULT_LIMIT)), DRY_RUN_MAX_LIMIT);
      return { ok: true, ...(await dryRunPolicy(database, { upstream, current: policies.current(upstream), candidate: policy, limit })) };
    },

    async effective(upstream, grantName, options = {}) {
      if (!files.has(upstream)) return notFound(upstream);
      let grant: EffectiveReport["grant"] = null;
      if (grantName !== null) {
        const [row] = await database.db.select().from(grants).where(eq(grants.name, grantName));
        if (!row) return { ok: false, code: "not_found", detail: `No grant named "${grantName}"` };
        grant = { name: row.name, owner: row.owner, labels: row.labels, isRevoked: row.revokedAt !== null };
      }
      let policy: CompiledPolicy | null = policies.current(upstream);
      if (options.content !== undefined) {
        const checked = await check(upstream, options.content);
        if (!checked.policy) return invalid(checked.report);
        policy = checked.policy;
      }
      const tools = await toolsOf(upstream);
      const names = tools.ok ? tools.names : [];
      const latest = options.content === undefined ? await versions.latest(upstream) : null;
      const isCurrent = latest !== null && latest.sha256 === policies.loaded(upstream)?.sha256;
      return {
        ok: true,
        upstream,
        grant,
        version: isCurrent ? latest.version : null,
        isLoaded: policy !== null,
        tools: policy ? effectiveDecisions(policy, names, grant) : names.map((tool) => withoutPolicy(tool)),
        toolsError: tools.ok ? null : tools.reason,
      };
    },

    async save(upstream, content, options) {
      if (!files.has(upstream)) return notFound(upstream);
      return commit(upstream, content, options);
    },

    async history(upstream) {
      if (!files.has(upstream)) return notFound(upstream);
      return { ok: true, upstream, versions: await versions.list(upstream) };
    },

    async version(upstream, number) {
      if (!files.has(upstream)) return notFound(upstream);
      const found = await versions.get(upstream, number);
      return found ? { ok: true, ...found } : { ok: false, code: "not_found", detail: `Upstream "${upstream}" has no policy version ${number}` };
    },

    async rollback(upstream, number, options) {
      if (!files.has(upstream)) return notFound(upstream);
      const found = await versions.get(upstream, number);
      if (!found) return { ok: false, code: "not_found", detail: `Upstream "${upstream}" has no policy version ${number}` };
      return commit(upstream, found.content, { ...options, source: "rollback", restoredFrom: number });
    },

    subscribe: (listener) => sync.subscribe(listener),
    start: () => sync.start(),
    close: () => sync.close(),
  };
}

function withoutPolicy(tool: string): EffectiveDecision {
  const decision = denyWithoutPolicy(tool);
  return { tool, isOffered: true, isListed: false, decision: "deny", rule: decision.rule, reason: decision.reason, conditions: [], otherwise: null, approval: null, limits: [] };
}

// The policy_versions table: every version of an upstream's policy, append-only. Writers take the
// upstream's advisory lock inside a transaction, so version numbers are dense and a save, a hand edit
// being recorded and a gateway catching up never interleave, in one process or across replicas.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/index.ts";
import { policyVersions, type PolicyVersionRow } from "../db/index.ts";

/** One version, without its content (history listings). */
export interface PolicyVersion {
  upstream: string;
  version: number;
  sha256: string;
  /** "file" (a change made to the file outside Gatehouse), "dashboard", "api", "cli" or "rollback". */
  source: string;
  /** The person who saved it, or "system" for a change found on disk. */
  createdBy: string;
  comment: string | null;
  /** For a rollback: the version whose content was restored. */
  restoredFrom: number | null;
  /** ISO 8601. */
  createdAt: string;
}

export interface PolicyVersionWithContent extends PolicyVersion {
  content: string;
}

export interface NewPolicyVersion {
  upstream: string;
  version: number;
  content: string;
  sha256: string;
  source: string;
  createdBy: string;
  comment?: string | null;
  restoredFrom?: number | null;
}

/** Queries that run inside the upstream's lock. */
export interface LockedVersions {
  latest(): Promise<PolicyVersionWithContent | null>;
  hasContent(sha256: string): Promise<boolean>;
  insert(version: Omit<NewPolicyVersion, "upstream">): Promise<PolicyVersionWithContent>;
}

export interface VersionStore {
  latest(upstream: string): Promise<PolicyVersionWithContent | null>;
  /** Newest first. */
  list(upstream: string): Promise<PolicyVersion[]>;
  get(upstream: string, version: number): Promise<PolicyVersionWithContent | null>;
  /** Runs `work` in a transaction holding the upstream's lock; a throw rolls back. */
  locked<T>(upstream: string, work: (versions: LockedVersions) => Promise<T>): Promise<T>;
}

const POLICY_LOCK_KEY = 0x706f_6c69; // "poli"

export function createVersionStore(database: Database): VersionStore {
  const { db } = database;
  type Runner = Pick<typeof db, "select" | "insert">;

  const latestIn = async (runner: Runner, upstream: string) => {
    const [row] = await runner.select().from(policyVersions).where(eq(policyVersions.upstream, upstream)).orderBy(desc(policyVersions.version)).limit(1);
    return row ? withContent(row) : null;
  };

  return {
    latest: (upstream) => latestIn(db, upstream),
    async list(upstream) {
      const rows = await db.select().from(policyVersions).where(eq(policyVersions.upstream, upstream)).orderBy(desc(policyVersions.version));
      return rows.map(withoutContent);
    },
    async get(upstream, version) {
      const [row] = await db
        .select()
        .from(policyVersions)
        .where(and(eq(policyVersions.upstream, upstream), eq(policyVersions.version, version)));
      return row ? withContent(row) : null;
    },
    locked(upstream, work) {
      return db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(${POLICY_LOCK_KEY}, hashtext(current_schema() || '/' || ${upstream}))`);
        return work({
          latest: () => latestIn(tx, upstream),
          async hasContent(sha256) {
            const rows = await tx
              .select({ version: policyVersions.version })
              .from(policyVersions)
              .where(and(eq(policyVersions.upstream, upstream), eq(policyVersions.sha256, sha256)))
              .limit(1);
            return rows.length > 0;
          },
          async insert(version) {
            const [row] = await tx.insert(policyVersions).values({ ...version, upstream }).returning();
            return withContent(row!);
          },
        });
      });
    },
  };
}

function withoutContent(row: PolicyVersionRow): PolicyVersion {
  return {
    upstream: row.upstream,
    version: row.version,
    sha256: row.sha256,
    source: row.source,
    createdBy: row.createdBy,
    comment: row.comment,
    restoredFrom: row.restoredFrom,
    createdAt: row.createdAt.toISOString(),
  };
}

function withContent(row: PolicyVersionRow): PolicyVersionWithContent {
  return { ...withoutContent(row), content: row.content };
}

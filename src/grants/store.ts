// Agent credentials ("grants"). A token is shown once at creation; the database keeps its hash.
// Lookups are cached briefly because every MCP request authenticates, and requests arriving together
// with one token share one lookup (10,000 agents connecting at once made 10,000 queries and starved
// the pool). Revocation in this process clears the cache at once, and a lookup already in flight then
// caches nothing; other processes see it within CACHE_TTL_MS.
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/index.ts";
import { grants, type GrantRow } from "../db/index.ts";
import { generateToken, hashToken } from "./tokens.ts";

const CACHE_TTL_MS = 5_000;

export interface Grant {
  id: string;
  name: string;
  owner: string | null;
  labels: Record<string, string>;
  createdAt: Date;
  revokedAt: Date | null;
}

export type CreateGrantResult = { ok: true; grant: Grant; token: string } | { ok: false; reason: string };

export interface GrantStore {
  create(name: string, options?: { owner?: string; labels?: Record<string, string>; token?: string }): Promise<CreateGrantResult>;
  /** Creates the grant or points it at this token (demo token, tokens from the config file). */
  upsertWithToken(name: string, token: string, options?: { owner?: string; labels?: Record<string, string> }): Promise<Grant>;
  list(): Promise<Grant[]>;
  findByName(name: string): Promise<Grant | null>;
  revoke(name: string): Promise<boolean>;
  authenticate(token: string): Promise<Grant | null>;
}

export function createGrantStore(database: Database): GrantStore {
  const { db } = database;
  const cache = new Map<string, { grant: Grant | null; until: number }>();
  const inFlight = new Map<string, Promise<Grant | null>>();
  /** Moves on when grants change: a lookup started before caches nothing, and nobody joins it. */
  let generation = 0;
  const forget = () => {
    cache.clear();
    inFlight.clear();
    generation += 1;
  };

  async function lookUp(tokenHash: string): Promise<Grant | null> {
    const startedIn = generation;
    const now = Date.now();
    const [row] = await db
      .select()
      .from(grants)
      .where(and(eq(grants.tokenHash, tokenHash), isNull(grants.revokedAt)));
    const grant = row ? toGrant(row) : null;
    if (startedIn === generation) {
      if (cache.size > 10_000) cache.clear();
      cache.set(tokenHash, { grant, until: now + CACHE_TTL_MS });
    }
    return grant;
  }

  return {
    async create(name, options = {}) {
      const token = options.token ?? generateToken();
      const rows = await db
        .insert(grants)
        .values({ name, tokenHash: hashToken(token), owner: options.owner ?? null, labels: options.labels ?? {} })
        .onConflictDoNothing({ target: grants.name })
        .returning();
      const row = rows[0];
      if (!row) return { ok: false, reason: `A grant named "${name}" already exists (revoke it first or pick another name)` };
      return { ok: true, grant: toGrant(row), token };
    },

    async upsertWithToken(name, token, options = {}) {
      const tokenHash = hashToken(token);
      const [row] = await db
        .insert(grants)
        .values({ name, tokenHash, owner: options.owner ?? null, labels: options.labels ?? {} })
        .onConflictDoUpdate({
          target: grants.name,
          set: { tokenHash, owner: options.owner ?? null, labels: options.labels ?? {}, revokedAt: null },
        })
        .returning();
      forget();
      return toGrant(row!);
    },

    async list() {
      const rows = await db.select().from(grants).orderBy(asc(grants.name));
      return rows.map(toGrant);
    },

    async findByName(name) {
      const [row] = await db.select().from(grants).where(eq(grants.name, name));
      return row ? toGrant(row) : null;
    },

    async revoke(name) {
      const rows = await db
        .update(grants)
        .set({ revokedAt: new Date() })
        .where(and(eq(grants.name, name), isNull(grants.revokedAt)))
        .returning({ id: grants.id });
      forget();
      return rows.length > 0;
    },

    async authenticate(token) {
      const tokenHash = hashToken(token);
      const hit = cache.get(tokenHash);
      if (hit && hit.until > Date.now()) return hit.grant;
      const joined = inFlight.get(tokenHash);
      if (joined) return joined;
      const lookup = lookUp(tokenHash).finally(() => {
        if (inFlight.get(tokenHash) === lookup) inFlight.delete(tokenHash);
      });
      inFlight.set(tokenHash, lookup);
      return lookup;
    },
  };
}

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    labels: row.labels,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}

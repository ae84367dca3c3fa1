// SQL for approvals. Every transition is one conditional UPDATE … WHERE status = <expected>
// RETURNING *: the loser of a race gets null back and changes nothing (DESIGN §6). Every change a
// reviewer can see bumps `version`, which is how Slack messages catch up after an outage.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { fromStorableJson } from "../audit/index.ts";
import { approvals, approvalVotes, approvalWaiters, queryWithin, statement, type ApprovalRow, type Database } from "../db/index.ts";
import { OPEN_STATUSES, type Approval, type ApprovalStatus, type HoldMode, type Vote } from "./types.ts";

type ApprovalSet = PgUpdateSetSource<typeof approvals>;

/** What a held call's new approval is made of; everything else starts at its default. */
export type NewApproval = Pick<
  typeof approvals.$inferInsert,
  "id" | "callId" | "expiresAt" | "upstream" | "tool" | "exposedTool" | "argsSealed" | "argsRedacted" | "argsHash" | "grantName" | "grantOwner" | "sessionId" | "rule" | "reason" | "spec" | "holdMode" | "quota"
>;

/** The identity of a call (DESIGN §5): identical calls share one approval. */
export interface CallIdentity {
  grantName: string;
  upstream: string;
  tool: string;
  argsHash: string;
}

export type ExecutionOutcome = { status: "succeeded" | "failed" | "outcome_unknown"; result: CallToolResult; error: string | null; durationMs: number };

/** Ended without running: the quota the call reserved is given back. */
export const UNRUN_STATUSES: readonly ApprovalStatus[] = ["denied", "expired", "cancelled", "failed"];

// Qualified by hand: drizzle leaves column names bare in a single-table select, which a subquery would
// resolve against its own table.
const isAgentWaiting = sql<boolean>`(EXISTS (SELECT 1 FROM "approval_waiters" AS w WHERE w.approval_id = "approvals"."id" AND w.until > now())
  OR EXISTS (SELECT 1 FROM "mcp_tasks" AS t WHERE t.approval_id = "approvals"."id" AND t.status IN ('working', 'input_required')))`;

const hasOpenTask = sql`EXISTS (SELECT 1 FROM "mcp_tasks" AS t WHERE t.approval_id = "approvals"."id" AND t.status IN ('working', 'input_required'))`;

const isGrantRevoked = sql`EXISTS (SELECT 1 FROM "grants" AS g WHERE g.name = "approvals"."grant_name" AND g.revoked_at IS NOT NULL)`;

// The sweep under notifications (follow.ts): which of these approvals no longer have the status seen.
const CHANGED_STATUSES = `SELECT a.id, a.status FROM approvals AS a
  JOIN unnest($1::uuid[], $2::text[]) AS seen(id, status) ON a.id = seen.id
  WHERE a.status <> seen.status`;

// Parameters of the statements below by name; every other one is text.
const PARAM_TYPES: Record<string, string> = { id: "uuid", callId: "uuid", expiresAt: "timestamptz", argsRedacted: "jsonb", spec: "jsonb", quota: "jsonb", window: "double precision" };

// The statement every held call runs, in plain SQL: built once, no query builder per call.
// `approvals` columns under the names ApprovalRow uses (pg parses timestamptz, jsonb and int itself).
const ROW_COLUMNS = Object.entries(getTableColumns(approvals))
  .map(([key, column]) => `a."${column.name}" AS "${key}"`)
  .join(", ");

// An approval an identical call follows rather than opening its own (DESIGN §5): the open one, a denial
// until its deadline, a run call's result for $window seconds after it finished. $grant, $upstream,
// $tool and $hash name the call.
const STANDS = `a.grant_name = $grant AND a.upstream = $upstream AND a.tool = $tool AND a.args_hash = $hash
  AND (a.status IN ('pending', 'approved', 'executing')
    OR (a.status = 'denied' AND a.expires_at > now())
    OR (a.status IN ('succeeded', 'failed', 'outcome_unknown') AND a.finished_at > now() - make_interval(secs => $window)))`;

// One statement for every held call: the approval that stands for the call if there is one (with whether
// an agent waits on it), else the new one inserted. ON CONFLICT: an identical call inserting at the same
// moment (the unique index on open approvals); nothing comes back then, and the caller asks again.
const OPEN_OR_FIND = numbered(
  `WITH standing AS (
     SELECT ${ROW_COLUMNS},
       (EXISTS (SELECT 1 FROM approval_waiters AS w WHERE w.approval_id = a.id AND w.until > now())
        OR EXISTS (SELECT 1 FROM mcp_tasks AS t WHERE t.approval_id = a.id AND t.status IN ('working', 'input_required'))) AS "isWaiting"
     FROM approvals AS a WHERE ${STANDS} ORDER BY a.created_at DESC LIMIT 1),
   created AS (
     INSERT INTO approvals AS a (id, call_id, expires_at, status, upstream, tool, exposed_tool, args_sealed, args_redacted, args_hash,
                                 grant_name, grant_owner, session_id, rule, reason, spec, hold_mode, quota)
     SELECT $id, $callId, $expiresAt, 'pending', $upstream, $tool, $exposedTool, $argsSealed, $argsRedacted, $hash,
            $grant, $grantOwner, $sessionId, $rule, $reason, $spec, $holdMode, $quota
     WHERE NOT EXISTS (SELECT 1 FROM standing)
     ON CONFLICT DO NOTHING
     RETURNING ${ROW_COLUMNS}, false AS "isWaiting")
   SELECT *, true AS "isNew" FROM created
   UNION ALL SELECT *, false AS "isNew" FROM standing`,
);

/** Names every `$name` once, in order of first use, with its type; returns the text and the names' order. */
function numbered(text: string): { text: string; names: string[] } {
  const names: string[] = [];
  const out = text.replace(/\$([a-zA-Z]+)/g, (_match, name: string) => {
    let index = names.indexOf(name);
    if (index === -1) index = names.push(name) - 1;
    return `$${index + 1}::${PARAM_TYPES[name] ?? "text"}`;
  });
  return { text: out, names };
}

function paramsOf(statement: { names: string[] }, values: Record<string, unknown>): unknown[] {
  return statement.names.map((name) => {
    const value = values[name];
    if (value === undefined) return null;
    return PARAM_TYPES[name] === "jsonb" && value !== null ? JSON.stringify(value) : value;
  });
}

export function createApprovalRepository(database: Database) {
  const { db } = database;

  async function hydrate(rows: Array<{ row: ApprovalRow; isWaiting: boolean }>): Promise<Approval[]> {
    if (rows.length === 0) return [];
    const votes = await db
      .select()
      .from(approvalVotes)
      .where(inArray(approvalVotes.approvalId, rows.map((r) => r.row.id)))
      .orderBy(asc(approvalVotes.createdAt));
    return rows.map(({ row, isWaiting }) =>
      toApproval(
        row,
        isWaiting,
        votes.filter((v) => v.approvalId === row.id).map((v) => ({ voter: v.voter, vote: v.vote as Vote["vote"], reason: v.reason, createdAt: v.createdAt })),
      ),
    );
  }

  async function select(where: SQL | undefined, options: { limit?: number; newestFirst?: boolean } = {}): Promise<Approval[]> {
    const rows = await db
      .select({ row: approvals, isWaiting: isAgentWaiting })
      .from(approvals)
      .where(where)
      .orderBy(options.newestFirst ? desc(approvals.createdAt) : asc(approvals.createdAt))
      .limit(options.limit ?? 500);
    return hydrate(rows);
  }

  async function one(where: SQL | undefined): Promise<Approval | null> {
    return (await select(where, { limit: 1 }))[0] ?? null;
  }

  /** UPDATE approvals SET … WHERE id = $id AND status IN (from) [AND extra] RETURNING *. */
  async function transition(id: string, from: readonly ApprovalStatus[], set: ApprovalSet, extra?: SQL): Promise<Approval | null> {
    const [row] = await db
      .update(approvals)
      .set({ ...set, version: sql`${approvals.version} + 1`, updatedAt: new Date() })
      .where(and(eq(approvals.id, id), inArray(approvals.status, [...from]), extra))
      .returning({ id: approvals.id });
    return row ? get(row.id) : null;
  }

  async function touch(id: string, set: ApprovalSet = {}): Promise<void> {
    await db
      .update(approvals)
      .set({ ...set, version: sql`${approvals.version} + 1`, updatedAt: new Date() })
      .where(eq(approvals.id, id));
  }

  function get(id: string): Promise<Approval | null> {
    return isUuid(id) ? one(eq(approvals.id, id)) : Promise.resolve(null);
  }

  return {
    get,
    /**
     * The waiters' safety sweep: of the approvals given with the status a waiter last saw, those whose status is now another, with
     * that status: one statement whatever the count (two array parameters), and only changes come back.
     */
    async changedStatuses(seen: ReadonlyArray<{ id: string; status: ApprovalStatus }>): Promise<Map<string, ApprovalStatus>> {
      const wanted = seen.filter((entry) => isUuid(entry.id));
      if (wanted.length === 0) return new Map();
      const { rows } = await database.pool.query<{ id: string; status: ApprovalStatus }>(CHANGED_STATUSES, [wanted.map((entry) => entry.id), wanted.map((entry) => entry.status)]);
      return new Map(rows.map((row) => [row.id, row.status]));
    },
    /**
     * The approval a held call follows: the one that stands for the same call (open; a denial until its
     * deadline; a run call's result for `resultWindowMs` after it finished), else a new pending one made
     * of `values` (`isNew`). Null when an identical call inserted at the same moment: ask again.
     * Throws when the statement has no answer within `timeoutMs` (a hung database); its connection is
     * then dropped, not reused.
     */
    async openOrFind(values: NewApproval, resultWindowMs: number, timeoutMs: number): Promise<{ approval: Approval; isNew: boolean } | null> {
      const params = paramsOf(OPEN_OR_FIND, { ...values, ...identityParams(values, resultWindowMs) });
      // Named: this statement's plan costs PostgreSQL several times its execution (measured in docs/performance.md).
      const { rows } = await queryWithin<ApprovalRow & { isWaiting: boolean; isNew: boolean }>(database.pool, statement(database, "gatehouse_open_or_find", OPEN_OR_FIND.text, params), timeoutMs);
      const found = rows[0];
      if (!found) return null;
      const { isWaiting, isNew, ...row } = found;
      // Nobody can have voted on or waited for a row this statement created.
      if (isNew) return { approval: toApproval(row, false, []), isNew };
      const [approval] = await hydrate([{ row, isWaiting }]);
      return { approval: approval!, isNew };
    },
    list: (filter: { statuses?: ApprovalStatus[]; limit?: number } = {}) =>
      select(filter.statuses?.length ? inArray(approvals.status, filter.statuses) : undefined, { limit: filter.limit ?? 100, newestFirst: true }),
    /** Inserts the vote once per (approval, voter); false when this person already voted. */
    async addVote(id: string, voter: string, vote: Vote["vote"], reason: string | null): Promise<boolean> {
      const rows = await db.insert(approvalVotes).values({ approvalId: id, voter, vote, reason }).onConflictDoNothing().returning();
      return rows.length > 0;
    },
    /** A change reviewers see that is not a transition (a vote short of the quorum). */
    markChanged: (id: string) => touch(id),
    async countApproveVotes(id: string): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(distinct ${approvalVotes.voter})::int` })
        .from(approvalVotes)
        .where(and(eq(approvalVotes.approvalId, id), eq(approvalVotes.vote, "approve")));
      return row?.n ?? 0;
    },
    /** An approval decided in its last moments keeps `claimGraceMs` for the agent to come back for it. */
    decide: (id: string, to: "approved" | "denied", by: string, reason: string | null, claimGraceMs: number) =>
      transition(
        id,
        ["pending"],
        {
          status: to,
          decidedBy: by,
          decidedAt: new Date(),
          decisionReason: reason,
          ...(to === "approved" ? { expiresAt: sql`greatest(${approvals.expiresAt}, now() + make_interval(secs => ${claimGraceMs / 1000}))` } : { argsSealed: null }),
        },
        sql`${approvals.expiresAt} > now()`,
      ),
    /** pending → expired (nobody decided), or approved → expired (no agent came back to take the result). */
    expire: (id: string) =>
      transition(
        id,
        ["pending", "approved"],
        {
          status: "expired",
          argsSealed: null,
          decidedBy: sql`CASE WHEN ${approvals.status} = 'pending' THEN 'timeout' ELSE ${approvals.decidedBy} END`,
          decidedAt: sql`CASE WHEN ${approvals.status} = 'pending' THEN now() ELSE ${approvals.decidedAt} END`,
          finishedAt: new Date(),
        },
        sql`${approvals.expiresAt} <= now()`,
      ),
    /** The agent no longer wants the call (or its grant was revoked): nothing will run. */
    cancel: (id: string, reason: string, by = "client") =>
      transition(id, ["pending", "approved"], { status: "cancelled", argsSealed: null, decidedBy: by, decidedAt: new Date(), decisionReason: reason, finishedAt: new Date() }),
    /**
     * approved → executing, only while the stored arguments are the ones just opened (`argsSealed`) and
     * hash to the binding, before the deadline, for a grant that is not revoked. The sealed arguments
     * are wiped here: a claimed call never runs again.
     */
    claimExecution: (id: string, claim: { instance: string; argsHash: string; argsSealed: string }) =>
      transition(
        id,
        ["approved"],
        { status: "executing", executorInstance: claim.instance, executedAt: new Date(), argsSealed: null },
        sql`${approvals.argsHash} = ${claim.argsHash} AND ${approvals.argsSealed} = ${claim.argsSealed} AND ${approvals.expiresAt} > now()
          AND NOT ${isGrantRevoked}`,
      ),
    /** The stored arguments do not match what was approved: refuse to run them. */
    refuseExecution: (id: string, why: string) =>
      transition(id, ["approved"], { status: "failed", argsSealed: null, error: why, finishedAt: new Date() }),
    /**
     * executing → outcome; also corrects an outcome_unknown that another gateway guessed for this
     * instance's run while its heartbeat lapsed: the real outcome beats the guess.
     */
    finishExecution: (id: string, instance: string, outcome: ExecutionOutcome) =>
      transition(
        id,
        ["executing", "outcome_unknown"],
        { status: outcome.status, result: outcome.result as Record<string, unknown>, error: outcome.error, durationMs: outcome.durationMs, finishedAt: new Date() },
        sql`${approvals.executorInstance} = ${instance}`,
      ),
    markOutcomeUnknown: (id: string, why: string) => transition(id, ["executing"], { status: "outcome_unknown", error: why, finishedAt: new Date() }),

    /** An agent is waiting for this approval until `until`; `isReturn` counts it as the agent coming back. */
    async attachWaiter(approvalId: string, waiter: { id: string; instance: string; until: Date; isReturn: boolean }): Promise<void> {
      await db.insert(approvalWaiters).values({ id: waiter.id, approvalId, instanceId: waiter.instance, until: waiter.until });
      await touch(approvalId, { lastSeenAt: new Date(), ...(waiter.isReturn ? { attachCount: sql`${approvals.attachCount} + 1` } : {}) });
    },
    async detachWaiter(approvalId: string, waiterId: string): Promise<void> {
      const removed = await db.delete(approvalWaiters).where(eq(approvalWaiters.id, waiterId)).returning({ id: approvalWaiters.id });
      if (removed.length === 0) return;
      // Once the approval ended, whether an agent waits is no longer shown: no new version to render.
      await db
        .update(approvals)
        .set({ lastSeenAt: new Date(), version: sql`CASE WHEN ${approvals.status} IN ('pending', 'approved', 'executing') THEN ${approvals.version} + 1 ELSE ${approvals.version} END` })
        .where(eq(approvals.id, approvalId));
    },
    /**
     * Many agents leaving at once (the gateway stopping with thousands of held requests): their waiter
     * rows removed and their approvals marked changed, in one statement.
     */
    async detachWaiters(waiterIds: readonly string[]): Promise<void> {
      if (waiterIds.length === 0) return;
      await database.pool.query(
        `WITH removed AS (DELETE FROM approval_waiters WHERE id = ANY($1::uuid[]) RETURNING approval_id)
         UPDATE approvals SET last_seen_at = now(),
           version = CASE WHEN status IN ('pending', 'approved', 'executing') THEN version + 1 ELSE version END
         WHERE id IN (SELECT approval_id FROM removed)`,
        [waiterIds],
      );
    },
    /** The agent came back without waiting (an identical MCP task call): counts, and shows. */
    recordReturn: (approvalId: string) => touch(approvalId, { lastSeenAt: new Date(), attachCount: sql`${approvals.attachCount} + 1` }),
    /** Removes waiter rows of gateways that stopped (or that lapsed); returns the approvals whose agent left. */
    async purgeWaiters(deadInstances: SQL): Promise<string[]> {
      const removed = await db
        .delete(approvalWaiters)
        .where(sql`${approvalWaiters.instanceId} IN ${deadInstances} OR ${approvalWaiters.until} < now() - interval '1 minute'`)
        .returning({ approvalId: approvalWaiters.approvalId });
      const ids = [...new Set(removed.map((r) => r.approvalId))];
      for (const id of ids) await touch(id, { lastSeenAt: new Date() });
      return ids;
    },

    async setSlackMessage(id: string, channel: string, ts: string): Promise<void> {
      await db.update(approvals).set({ slackChannel: channel, slackTs: ts }).where(eq(approvals.id, id));
    },
    /** Records which version the Slack message now shows (never moves backwards). */
    async markSlackShown(id: string, version: number): Promise<void> {
      await db
        .update(approvals)
        .set({ slackVersion: sql`greatest(coalesce(${approvals.slackVersion}, -1), ${version})` })
        .where(eq(approvals.id, id));
    },
    /** Posted messages that show an older state than the row (updates lost while the queue was down). */
    staleSlackMessages: (settledFor: string) =>
      select(
        and(isNotNull(approvals.slackTs), sql`coalesce(${approvals.slackVersion}, -1) < ${approvals.version}`, lte(approvals.updatedAt, sql`now() - ${settledFor}::interval`)),
        { limit: 100 },
      ),
    /** Open approvals past their deadline (pending or approved and never claimed). */
    async overdue(): Promise<string[]> {
      const rows = await db
        .select({ id: approvals.id })
        .from(approvals)
        .where(and(inArray(approvals.status, ["pending", "approved"]), lte(approvals.expiresAt, sql`now()`)));
      return rows.map((r) => r.id);
    },
    /** Pending approvals per upstream (read at each metrics scrape: one grouped count on the status index). */
    async countPendingByUpstream(): Promise<Map<string, number>> {
      const rows = await db
        .select({ upstream: approvals.upstream, count: sql<number>`count(*)::int` })
        .from(approvals)
        .where(eq(approvals.status, "pending"))
        .groupBy(approvals.upstream);
      return new Map(rows.map((r) => [r.upstream, r.count]));
    },
    /** Pending approvals created before `olderThan` whose reviewer message was never posted. */
    unnotified: (olderThan: Date) => select(and(eq(approvals.status, "pending"), isNull(approvals.slackTs), lte(approvals.createdAt, olderThan)), { limit: 100 }),
    /** Approved calls with an MCP task attached: the result is stored for the task, so they run now. */
    approvedForTasks: (id?: string) =>
      select(
        and(
          id ? eq(approvals.id, id) : undefined,
          eq(approvals.status, "approved"),
          hasOpenTask,
        ),
        { limit: 100 },
      ),
    async executingOn(instances: SQL): Promise<string[]> {
      const rows = await db
        .select({ id: approvals.id })
        .from(approvals)
        .where(and(eq(approvals.status, "executing"), sql`${approvals.executorInstance} IN ${instances}`));
      return rows.map((r) => r.id);
    },
    /** Grants revoked (by any process) that still have open approvals: those must never run. */
    async revokedGrantsWithOpenApprovals(): Promise<string[]> {
      const rows = await db
        .selectDistinct({ grantName: approvals.grantName })
        .from(approvals)
        .where(and(inArray(approvals.status, ["pending", "approved"]), isGrantRevoked));
      return rows.map((r) => r.grantName);
    },
    async openForGrant(grantName: string): Promise<string[]> {
      const rows = await db
        .select({ id: approvals.id })
        .from(approvals)
        .where(and(eq(approvals.grantName, grantName), inArray(approvals.status, ["pending", "approved"])));
      return rows.map((r) => r.id);
    },
    /** Approvals that ended without running and still hold reserved quota. */
    async unsettledQuota(): Promise<string[]> {
      const rows = await db
        .select({ id: approvals.id })
        .from(approvals)
        .where(and(inArray(approvals.status, [...UNRUN_STATUSES]), isNull(approvals.quotaSettledAt), isNotNull(approvals.quota)))
        .limit(500);
      return rows.map((r) => r.id);
    },
    /** Claims the quota of an approval that ended without running, once across every process. */
    async settleQuota(id: string): Promise<unknown[] | null> {
      const [row] = await db
        .update(approvals)
        .set({ quotaSettledAt: new Date() })
        .where(and(eq(approvals.id, id), inArray(approvals.status, [...UNRUN_STATUSES]), isNull(approvals.quotaSettledAt)))
        .returning({ quota: approvals.quota });
      return row?.quota ?? null;
    },
    /** Rows written before arguments were sealed: seal the open ones, wipe the rest. */
    async sealLegacyArguments(seal: (row: { id: string; argsHash: string; args: Record<string, unknown> }) => string): Promise<number> {
      const rows = await db
        .select({ id: approvals.id, argsHash: approvals.argsHash, args: approvals.args, status: approvals.status })
        .from(approvals)
        .where(isNotNull(approvals.args));
      for (const row of rows) {
        const isOpenRow = OPEN_STATUSES.includes(row.status as ApprovalStatus);
        await db
          .update(approvals)
          .set({ args: null, ...(isOpenRow && row.args ? { argsSealed: seal({ id: row.id, argsHash: row.argsHash, args: row.args }) } : {}) })
          .where(eq(approvals.id, row.id));
      }
      return rows.length;
    },
  };
}

export type ApprovalRepository = ReturnType<typeof createApprovalRepository>;

function toApproval(row: ApprovalRow, isWaiting: boolean, votes: Vote[]): Approval {
  return {
    id: row.id,
    callId: row.callId,
    status: row.status as ApprovalStatus,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    upstream: row.upstream,
    tool: row.tool,
    exposedTool: row.exposedTool,
    argsSealed: row.argsSealed,
    argsRedacted: row.argsRedacted,
    argsHash: row.argsHash,
    grantName: row.grantName,
    grantOwner: row.grantOwner,
    sessionId: row.sessionId,
    rule: row.rule,
    reason: row.reason,
    spec: row.spec,
    holdMode: row.holdMode as HoldMode,
    agent: { isWaiting, returns: row.attachCount, lastSeenAt: row.lastSeenAt },
    version: row.version,
    slackVersion: row.slackVersion,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    decisionReason: row.decisionReason,
    slackChannel: row.slackChannel,
    slackTs: row.slackTs,
    // Stored escaped where PostgreSQL could not hold the text (executor: toStorableJson).
    result: row.result === null ? null : (fromStorableJson(row.result) as CallToolResult),
    error: row.error,
    executedAt: row.executedAt,
    finishedAt: row.finishedAt,
    durationMs: row.durationMs,
    votes,
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function identityParams(call: CallIdentity, resultWindowMs: number): Record<string, unknown> {
  return { grant: call.grantName, upstream: call.upstream, tool: call.tool, hash: call.argsHash, window: resultWindowMs / 1000 };
}

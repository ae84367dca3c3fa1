// SQL for approvals. Every transition is one conditional UPDATE … WHERE status = <expected>
// RETURNING *: the loser of a race gets null back and changes nothing (DESIGN §6).
import { and, asc, desc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { approvals, approvalVotes, type ApprovalRow, type Database } from "../db/index.ts";
import type { Approval, ApprovalStatus, HoldMode, Vote } from "./types.ts";

export type NewApproval = Omit<typeof approvals.$inferInsert, "status" | "createdAt" | "updatedAt">;

export function createApprovalRepository(database: Database) {
  const { db } = database;

  async function withVotes(row: ApprovalRow | undefined): Promise<Approval | null> {
    if (!row) return null;
    const votes = await db.select().from(approvalVotes).where(eq(approvalVotes.approvalId, row.id)).orderBy(asc(approvalVotes.createdAt));
    return toApproval(row, votes.map((v) => ({ voter: v.voter, vote: v.vote as Vote["vote"], reason: v.reason, createdAt: v.createdAt })));
  }

  /** UPDATE approvals SET … WHERE id = $id AND status IN (from) [AND extra] RETURNING *. */
  async function transition(
    id: string,
    from: ApprovalStatus[],
    set: Partial<typeof approvals.$inferInsert>,
    extra?: ReturnType<typeof sql>,
  ): Promise<Approval | null> {
    const [row] = await db
      .update(approvals)
      .set({ ...set, updatedAt: new Date() })
      .where(and(eq(approvals.id, id), inArray(approvals.status, from), extra))
      .returning();
    return withVotes(row);
  }

  return {
    async insert(values: NewApproval): Promise<Approval> {
      const [row] = await db.insert(approvals).values({ ...values, status: "pending" }).returning();
      return (await withVotes(row))!;
    },
    async get(id: string): Promise<Approval | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(approvals).where(eq(approvals.id, id));
      return withVotes(row);
    },
    async list(filter: { statuses?: ApprovalStatus[]; limit?: number } = {}): Promise<Approval[]> {
      const rows = await db
        .select()
        .from(approvals)
        .where(filter.statuses?.length ? inArray(approvals.status, filter.statuses) : undefined)
        .orderBy(desc(approvals.createdAt))
        .limit(filter.limit ?? 100);
      return Promise.all(rows.map((r) => withVotes(r).then((a) => a!)));
    },
    /** Inserts the vote once per (approval, voter); false when this person already voted. */
    async addVote(id: string, voter: string, vote: Vote["vote"], reason: string | null): Promise<boolean> {
      const rows = await db.insert(approvalVotes).values({ approvalId: id, voter, vote, reason }).onConflictDoNothing().returning();
      return rows.length > 0;
    },
    async countApproveVotes(id: string): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(distinct ${approvalVotes.voter})::int` })
        .from(approvalVotes)
        .where(and(eq(approvalVotes.approvalId, id), eq(approvalVotes.vote, "approve")));
      return row?.n ?? 0;
    },
    decide: (id: string, to: "approved" | "denied", by: string, reason: string | null) =>
      transition(id, ["pending"], { status: to, decidedBy: by, decidedAt: new Date(), decisionReason: reason }, sql`${approvals.expiresAt} > now()`),
    expire: (id: string) => transition(id, ["pending"], { status: "expired", decidedBy: "timeout", decidedAt: new Date() }, sql`${approvals.expiresAt} <= now()`),
    cancel: (id: string, reason: string) => transition(id, ["pending"], { status: "cancelled", decidedBy: "client", decidedAt: new Date(), decisionReason: reason }),
    claimExecution: (id: string, instance: string, argsHash: string) =>
      transition(id, ["approved"], { status: "executing", executorInstance: instance, executedAt: new Date() }, sql`${approvals.argsHash} = ${argsHash}`),
    finishExecution: (id: string, outcome: { status: "succeeded" | "failed"; result: CallToolResult; error: string | null; durationMs: number }) =>
      transition(id, ["executing"], { status: outcome.status, result: outcome.result as Record<string, unknown>, error: outcome.error, durationMs: outcome.durationMs, finishedAt: new Date() }),
    markOutcomeUnknown: (id: string, why: string) => transition(id, ["executing"], { status: "outcome_unknown", error: why, finishedAt: new Date() }),
    setHoldMode: (id: string, holdMode: HoldMode) => transition(id, ["pending", "approved", "executing"], { holdMode }),
    async setSlackMessage(id: string, channel: string, ts: string): Promise<void> {
      await db.update(approvals).set({ slackChannel: channel, slackTs: ts }).where(eq(approvals.id, id));
    },
    async overduePending(now: Date): Promise<string[]> {
      const rows = await db.select({ id: approvals.id }).from(approvals).where(and(eq(approvals.status, "pending"), lte(approvals.expiresAt, now)));
      return rows.map((r) => r.id);
    },
    /** Pending approvals created before `olderThan` whose reviewer message was never posted. */
    async unnotified(olderThan: Date): Promise<Approval[]> {
      const rows = await db
        .select()
        .from(approvals)
        .where(and(eq(approvals.status, "pending"), isNull(approvals.slackTs), lte(approvals.createdAt, olderThan)))
        .limit(100);
      return Promise.all(rows.map((r) => withVotes(r).then((a) => a!)));
    },
    async byStatus(statuses: ApprovalStatus[]): Promise<Approval[]> {
      const rows = await db.select().from(approvals).where(inArray(approvals.status, statuses)).orderBy(asc(approvals.createdAt)).limit(500);
      return Promise.all(rows.map((r) => withVotes(r).then((a) => a!)));
    },
  };
}

export type ApprovalRepository = ReturnType<typeof createApprovalRepository>;

function toApproval(row: ApprovalRow, votes: Vote[]): Approval {
  return {
    id: row.id,
    callId: row.callId,
    status: row.status as ApprovalStatus,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    upstream: row.upstream,
    tool: row.tool,
    exposedTool: row.exposedTool,
    args: row.args,
    argsRedacted: row.argsRedacted,
    argsHash: row.argsHash,
    grantName: row.grantName,
    grantOwner: row.grantOwner,
    sessionId: row.sessionId,
    rule: row.rule,
    reason: row.reason,
    spec: row.spec,
    holdMode: row.holdMode as HoldMode,
    holderInstance: row.holderInstance,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    decisionReason: row.decisionReason,
    slackChannel: row.slackChannel,
    slackTs: row.slackTs,
    result: row.result as CallToolResult | null,
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

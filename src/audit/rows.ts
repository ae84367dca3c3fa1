// Rows as people are shown them: each tool_calls row (and the approval and votes behind a held call)
// checked against the events of its call, shown with the chain's values and a verdict. A row edited
// with SQL is never displayed as if it were fine.
import { inArray, or } from "drizzle-orm";
import { approvals, approvalVotes, type ApprovalRow, type ApprovalVoteRow, type Database, type ToolCallRow } from "../db/index.ts";
import { loadCallEvents, type CheckedEvent } from "./events.ts";
import { compareApproval, compareApprovalArguments, compareCall, foldApproval, foldCall, mergeIntegrity, type ChainApproval, type Integrity } from "./fold.ts";
import type { CallSnapshot } from "./snapshot.ts";
import { fromStorableText } from "./storable.ts";
import type { AuditWriter } from "./writer.ts";

export interface VoteView {
  /** The person: "reviewer:alice", "slack:U012AB3CD", "admin". */
  voter: string;
  vote: string;
  reason: string | null;
  /** ISO-8601; null when the chain predates vote times and the row is gone. */
  at: string | null;
  /** The credential the vote came with ("slack", "reviewer:alice", "admin"), when the chain says. */
  via: string | null;
  /** Where it was cast ("slack", "dashboard", "api", "cli"); null for events written before they said. */
  channel: string | null;
}

export interface ApprovalView {
  id: string;
  /** The held call the approval was opened for (differs from the row's id for a call that attached to it). */
  callId: string | null;
  status: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  votes: VoteView[];
}

/** One tool call as shown to reviewers: the chain's values, then the verdict. Dates are ISO-8601 strings. */
export interface CallRow extends CallSnapshot {
  id: string;
  /** The approval this call was held for or attached to; null when it was never held. */
  approval: ApprovalView | null;
  integrity: Integrity;
}

/** What the chain and the tables say about the approvals behind some calls. */
export interface ApprovalEvidence {
  rows: Map<string, ApprovalRow>;
  votes: Map<string, ApprovalVoteRow[]>;
  /** Events by call id, for the calls asked about and the calls the approvals were opened for. */
  events: Map<string, CheckedEvent[]>;
}

export async function checkCallRows(database: Database, rows: readonly ToolCallRow[]): Promise<CallRow[]> {
  const events = await loadCallEvents(
    database,
    rows.map((r) => r.id),
  );
  const chains = new Map(rows.map((row) => [row.id, foldCall(events.get(row.id) ?? [])]));
  const evidence = await loadApprovalEvidence(
    database,
    rows.map((r) => r.id),
    [...chains.values()].flatMap((c) => (c.approvalId ? [c.approvalId] : [])),
    events,
  );
  return rows.map((row) => {
    const chain = chains.get(row.id) ?? foldCall([]);
    const { view, integrity } = compareCall(row, chain);
    const approvalId = chain.approvalId ?? [...evidence.rows.values()].find((a) => a.callId === row.id)?.id ?? null;
    const approval = approvalId ? checkApproval(approvalId, evidence) : null;
    return {
      id: row.id,
      ...(view as CallSnapshot),
      approval: approval?.view ?? null,
      integrity: approval ? mergeIntegrity(integrity, approval.integrity) : integrity,
    };
  });
}

/** Approvals rows and votes for these calls (held, or attached to an approval), with the events of their calls. */
export async function loadApprovalEvidence(database: Database, callIds: readonly string[], approvalIds: readonly string[], events: Map<string, CheckedEvent[]>): Promise<ApprovalEvidence> {
  const ids = [...new Set(approvalIds)];
  const found =
    callIds.length === 0 && ids.length === 0
      ? []
      : await database.db
          .select()
          .from(approvals)
          .where(or(callIds.length > 0 ? inArray(approvals.callId, [...callIds]) : undefined, ids.length > 0 ? inArray(approvals.id, ids) : undefined));
  const votes = found.length === 0 ? [] : await database.db.select().from(approvalVotes).where(inArray(approvalVotes.approvalId, found.map((a) => a.id)));
  const missing = found.map((a) => a.callId).filter((id) => !events.has(id) && !callIds.includes(id));
  const more = await loadCallEvents(database, missing);
  const allEvents = new Map([...events, ...more]);
  const votesBy = new Map<string, ApprovalVoteRow[]>();
  for (const vote of votes) votesBy.set(vote.approvalId, [...(votesBy.get(vote.approvalId) ?? []), vote]);
  return { rows: new Map(found.map((a) => [a.id, a])), votes: votesBy, events: allEvents };
}

/** One approval checked: its row and votes against the events of the call it was opened for. */
export function checkApproval(approvalId: string, evidence: ApprovalEvidence): { view: ApprovalView; chain: ChainApproval | null; integrity: Integrity; arguments: ChainArguments } {
  const row = evidence.rows.get(approvalId) ?? null;
  const rowVotes = evidence.votes.get(approvalId) ?? [];
  const callEvents = row ? (evidence.events.get(row.callId) ?? []) : [...evidence.events.values()].flat();
  const chain = foldApproval(callEvents, approvalId);
  const heldCall = foldCall(row ? callEvents : []);
  const integrity = mergeIntegrity(compareApproval(row, rowVotes, chain, approvalId), compareApprovalArguments(row, heldCall));
  const pick = <T>(field: string, fallback: T): T => (chain && field in chain.values ? (chain.values[field as keyof ChainApproval["values"]] as T) : fallback);
  const vias = votingChannels(callEvents, approvalId);
  const votes: VoteView[] = chain
    ? chain.votes.map((v) => {
        const stored = rowVotes.find((r) => r.voter === v.voter);
        return {
          voter: v.voter,
          vote: v.vote,
          reason: v.reason !== undefined ? v.reason : (stored?.reason ?? null),
          at: v.at ?? stored?.createdAt.toISOString() ?? null,
          via: vias.get(v.voter)?.via ?? null,
          channel: vias.get(v.voter)?.channel ?? null,
        };
      })
    : rowVotes.map((r) => ({ voter: r.voter, vote: r.vote, reason: r.reason, at: r.createdAt.toISOString(), via: null, channel: null }));
  const iso = (at: Date | null | undefined) => at?.toISOString() ?? null;
  return {
    chain,
    integrity,
    arguments: "argsRedacted" in heldCall.values ? { isKnown: true, redacted: heldCall.values.argsRedacted } : { isKnown: false },
    view: {
      id: approvalId,
      callId: pick("callId", row?.callId ?? null),
      status: pick("status", row?.status ?? null),
      decidedBy: pick("decidedBy", row?.decidedBy ?? null),
      decidedAt: pick("decidedAt", iso(row?.decidedAt)),
      decisionReason: pick("decisionReason", row?.decisionReason ?? null),
      votes: votes.sort((a, b) => (a.at ?? "").localeCompare(b.at ?? "")),
    },
  };
}

/** How each person's vote arrived (credential and channel), from the vote and decision events. */
function votingChannels(events: readonly CheckedEvent[], approvalId: string): Map<string, { via: string; channel: string | null }> {
  const vias = new Map<string, { via: string; channel: string | null }>();
  for (const event of events) {
    if (!event.isIntact || event.data.approvalId !== approvalId || typeof event.data.via !== "string") continue;
    if (event.type === "approval.vote" || event.type === "approval.approved" || event.type === "approval.denied") {
      const channel = typeof event.data.channel === "string" ? fromStorableText(event.data.channel) : null;
      vias.set(fromStorableText(event.actor), { via: fromStorableText(event.data.via), channel });
    }
  }
  return vias;
}

/** The redacted arguments the held call's events vouch for, when they say (events older than snapshots do not). */
export type ChainArguments = { isKnown: true; redacted: unknown } | { isKnown: false };

export interface CheckedApproval {
  approval: ApprovalView;
  integrity: Integrity;
  /** What to show reviewers as the call's arguments: the chain's, whatever the approvals row says. */
  arguments: ChainArguments;
}

/** Approvals rows (and their votes and arguments) checked against the chain, by id: for listings of approvals (pending or not). */
export async function checkApprovals(database: Database, approvalIds: readonly string[]): Promise<Map<string, CheckedApproval>> {
  const ids = approvalIds.filter((id) => UUID.test(id));
  const evidence = await loadApprovalEvidence(database, [], ids, new Map());
  return new Map(
    ids.map((id) => {
      const { view, integrity, arguments: args } = checkApproval(id, evidence);
      return [id, { approval: view, integrity, arguments: args }];
    }),
  );
}

/**
 * checkApprovals for what people are shown live: a row changes a moment before the event that vouches for
 * it commits, so a row that disagrees is checked once more after this process's pending audit entries have
 * committed. A row that still disagrees was changed behind the chain's back (or by another gateway whose
 * event is not committed yet, which the next refresh shows).
 */
export async function checkApprovalsSettled(database: Database, writer: Pick<AuditWriter, "settled">, approvalIds: readonly string[]): Promise<Map<string, CheckedApproval>> {
  const checked = await checkApprovals(database, approvalIds);
  const disagreeing = [...checked].filter(([, c]) => !c.integrity.ok).map(([id]) => id);
  if (disagreeing.length === 0) return checked;
  // One turn of the event loop lets a change whose UPDATE just returned queue its audit entry.
  await new Promise((resolve) => setImmediate(resolve));
  await writer.settled();
  for (const [id, again] of await checkApprovals(database, disagreeing)) checked.set(id, again);
  return checked;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

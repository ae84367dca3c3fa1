// Everything known about one call, in one object: who asked, with which (redacted) arguments, which
// rule fired, who voted what and when, what ran, what the upstream answered, how long each step took,
// and whether the chain vouches for it. The call page and `gatehouse audit show` render this object.
import { eq } from "drizzle-orm";
import { toolCalls, type Database } from "../db/index.ts";
import { isRecord, loadCallEvents, type CheckedEvent } from "./events.ts";
import { compareCall, foldCall, mergeIntegrity, verdict, type Integrity } from "./fold.ts";
import type { ResultSummary } from "./result.ts";
import type { CallSnapshot } from "./snapshot.ts";
import { checkApproval, loadApprovalEvidence, type CallRow, type VoteView } from "./rows.ts";
import { fromStorableJson, fromStorableText } from "./storable.ts";

export interface CallStory {
  callId: string;
  /** The call as the chain tells it, with the verdict on its tool_calls row (and approval rows). */
  call: CallRow;
  asked: {
    at: string;
    grant: string;
    session: string;
    /** What the agent's MCP client said it is; null when not recorded (older events, stdio without clientInfo). */
    client: { name: string; version: string } | null;
    upstream: string;
    tool: string;
  };
  arguments: { redacted: unknown; hash: string };
  decision: { decision: string; rule: string | null; reason: string | null };
  approval: StoryApproval | null;
  execution: StoryExecution | null;
  /** What the upstream answered (summary kept in the audit event); null when it never ran or the chain predates it. */
  result: ResultSummary | null;
  timeline: TimelineStep[];
  /** The hash checks of the events in this story (each event's hash, and its links to its neighbours). */
  chain: { ok: boolean; events: number; firstSeq: number | null; lastSeq: number | null; problems: string[] };
  /** Everything together: chain problems and any row that disagrees with it. */
  integrity: Integrity;
}

export interface StoryApproval {
  id: string;
  /** True when this call attached to (or was answered from) an approval opened by an earlier identical call. */
  isFollowUp: boolean;
  /** The call the approval was opened for. */
  callId: string | null;
  status: string | null;
  spec: unknown;
  createdAt: string | null;
  expiresAt: string | null;
  votes: VoteView[];
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

export interface StoryExecution {
  /** When the call was sent upstream: the claim of an approved call, or the allow decision. */
  startedAt: string | null;
  /** The gateway process that ran it (held calls). */
  ranBy: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  status: string;
  error: string | null;
}

export interface TimelineStep {
  seq: number;
  at: string;
  type: string;
  actor: string;
  /** One line for people: "reviewer:alice voted approve: looks right". */
  summary: string;
  /** Milliseconds since the first event of the story, and since the step before. */
  sinceStartMs: number;
  sincePreviousMs: number;
  /** This event's own hash matches its contents. */
  isIntact: boolean;
  /** The hash stored with the event (the next event links to it). */
  hash: string;
}

const RAN = new Set(["succeeded", "failed", "outcome_unknown"]);

/** The story of one call, or null when neither a tool_calls row nor an audit event knows the id. */
export async function getCallStory(database: Database, callId: string): Promise<CallStory | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(callId)) return null;
  const id = callId.toLowerCase();
  const [row] = await database.db.select().from(toolCalls).where(eq(toolCalls.id, id));
  const events = await loadCallEvents(database, [id]);
  const own = events.get(id) ?? [];
  if (!row && own.length === 0) return null;

  const chainCall = foldCall(own);
  const { view, integrity: callIntegrity } = compareCall(row ?? null, chainCall);
  const evidence = await loadApprovalEvidence(database, [id], chainCall.approvalId ? [chainCall.approvalId] : [], events);
  const approvalId = chainCall.approvalId ?? [...evidence.rows.values()].find((a) => a.callId === id)?.id ?? null;
  const checked = approvalId ? checkApproval(approvalId, evidence) : null;
  const approvalRow = approvalId ? evidence.rows.get(approvalId) : undefined;
  const approvalCallId = checked?.view.callId ?? approvalRow?.callId ?? null;
  const isFollowUp = approvalCallId !== null && approvalCallId !== id;
  // A call that attached to an approval shares its story: the approval's events are told alongside its own.
  const storyEvents = isFollowUp ? [...own, ...(evidence.events.get(approvalCallId) ?? [])].sort((a, b) => a.seq - b.seq) : own;

  const call: CallRow = {
    id,
    ...(view as CallSnapshot),
    approval: checked?.view ?? null,
    integrity: checked ? mergeIntegrity(callIntegrity, checked.integrity) : callIntegrity,
  };
  const chainProblems = [...new Set(storyEvents.flatMap((e) => e.problems))];
  const approvalValue = (field: "spec" | "createdAt" | "expiresAt") =>
    checked?.chain && field in checked.chain.values ? checked.chain.values[field] : approvalRow ? (field === "spec" ? approvalRow.spec : approvalRow[field].toISOString()) : null;

  return {
    callId: id,
    call,
    asked: { at: call.createdAt, grant: call.grantName, session: call.sessionId, client: clientOf(own), upstream: call.upstream, tool: call.tool },
    arguments: { redacted: call.argsRedacted, hash: call.argsHash },
    decision: { decision: call.decision, rule: call.rule, reason: firstDecisionReason(own) ?? call.reason },
    approval:
      checked && approvalId
        ? {
            id: approvalId,
            isFollowUp,
            callId: approvalCallId,
            status: checked.view.status,
            spec: approvalValue("spec"),
            createdAt: approvalValue("createdAt") as string | null,
            expiresAt: approvalValue("expiresAt") as string | null,
            votes: checked.view.votes,
            decidedBy: checked.view.decidedBy,
            decidedAt: checked.view.decidedAt,
            decisionReason: checked.view.decisionReason,
          }
        : null,
    execution: executionOf(call, storyEvents, isFollowUp),
    result: resultOf(storyEvents),
    timeline: timelineOf(storyEvents),
    chain: { ok: chainProblems.length === 0, events: storyEvents.length, firstSeq: storyEvents[0]?.seq ?? null, lastSeq: storyEvents.at(-1)?.seq ?? null, problems: chainProblems },
    integrity: mergeIntegrity(call.integrity, verdict(chainProblems, [])),
  };
}

function clientOf(events: readonly CheckedEvent[]): { name: string; version: string } | null {
  for (const event of events) {
    const client = event.isIntact ? event.data.client : undefined;
    if (isRecord(client) && typeof client.name === "string") return { name: fromStorableText(client.name), version: typeof client.version === "string" ? fromStorableText(client.version) : "" };
  }
  return null;
}

// The policy's reason at decision time; a held call's row later carries the reviewer's reason instead.
function firstDecisionReason(events: readonly CheckedEvent[]): string | null {
  const first = events.find((e) => e.isIntact && (e.type.startsWith("call.") || e.type === "approval.requested"));
  return first?.reason ?? null;
}

function executionOf(call: CallRow, events: readonly CheckedEvent[], isFollowUp: boolean): StoryExecution | null {
  const intact = events.filter((e) => e.isIntact);
  const claim = intact.find((e) => e.type === "approval.executing");
  const allowed = intact.find((e) => e.type === "call.allowed");
  if (claim) {
    const finished = [...intact].reverse().find((e) => RAN.has(String(e.data.status)) && e.type === `approval.${String(e.data.status)}`);
    const snapshot = isRecord(finished?.data.approval) ? (fromStorableJson(finished.data.approval) as Record<string, unknown>) : {};
    return {
      startedAt: typeof snapshot.executedAt === "string" ? snapshot.executedAt : claim.at,
      ranBy: claim.actor,
      finishedAt: typeof snapshot.finishedAt === "string" ? snapshot.finishedAt : (finished?.at ?? null),
      durationMs: typeof snapshot.durationMs === "number" ? snapshot.durationMs : isFollowUp ? null : call.durationMs,
      status: typeof finished?.data.status === "string" ? finished.data.status : "executing",
      error: typeof snapshot.error === "string" ? snapshot.error : isFollowUp ? null : call.error,
    };
  }
  if (allowed) {
    return { startedAt: allowed.at, ranBy: null, finishedAt: call.finishedAt, durationMs: call.durationMs, status: call.status, error: call.error };
  }
  return null;
}

function resultOf(events: readonly CheckedEvent[]): ResultSummary | null {
  for (const event of [...events].reverse()) {
    if (event.isIntact && isRecord(event.data.result)) return fromStorableJson(event.data.result) as ResultSummary;
  }
  return null;
}

function timelineOf(events: readonly CheckedEvent[]): TimelineStep[] {
  const start = events[0] ? Date.parse(events[0].at) : 0;
  let previous = start;
  return events.map((event) => {
    const at = Date.parse(event.at);
    const step = { seq: event.seq, at: event.at, type: event.type, actor: fromStorableText(event.actor), summary: summarize(event), sinceStartMs: at - start, sincePreviousMs: at - previous, isIntact: event.isIntact, hash: event.hash };
    previous = at;
    return step;
  });
}

function summarize(event: CheckedEvent): string {
  const data = fromStorableJson(event.data) as Record<string, unknown>;
  const reason = event.reason === null ? "" : `: ${fromStorableText(event.reason)}`;
  const actor = fromStorableText(event.actor);
  const rule = event.rule ? ` (rule ${event.rule})` : "";
  const ms = typeof data.durationMs === "number" ? ` in ${data.durationMs} ms` : "";
  switch (event.type) {
    case "call.allowed":
      return `allowed${rule}; sent to the upstream`;
    case "call.denied":
    case "call.hidden":
    case "call.rate_limited":
      return `${event.type.slice(5).replace("_", " ")}${rule}${reason}`;
    case "call.succeeded":
      return `the upstream answered${ms}`;
    case "call.failed":
      return `the upstream answered with an error${ms}${typeof data.error === "string" ? `: ${data.error}` : ""}`;
    case "call.outcome_unknown":
      return `sent, but no answer came back${ms}; it may have run`;
    case "approval.requested":
      return `held for approval${rule}; people were asked`;
    case "approval.vote":
      return `${actor} voted ${String(data.vote)}${typeof data.reason === "string" && data.reason ? `: ${data.reason}` : ""}`;
    case "approval.vote_refused":
      return `${actor} tried to ${String(data.vote)} and was refused${typeof data.reason === "string" ? `: ${data.reason}` : ""}`;
    case "approval.approved":
    case "approval.denied":
      return `${event.type.slice(9)} by ${actor}${event.type === "approval.denied" ? reason : ""}`;
    case "approval.executing":
      return `claimed and sent to the upstream by ${actor}`;
    case "approval.succeeded":
    case "approval.failed":
    case "approval.outcome_unknown":
      return `ran: ${event.type.slice(9).replace("_", " ")}${ms}`;
    case "approval.attached":
    case "approval.replayed":
      return `an identical call ${event.type === "approval.attached" ? "attached to" : "was answered from"} approval ${String(data.approvalId)} (${String(data.status)})`;
    default:
      return `${event.type}${reason}`;
  }
}

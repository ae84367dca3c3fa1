// Everything the call page shows about one call, gathered in one place: its tool_calls row, its audit events
// (oldest first) and the approval it went through (its own, or the one it attached to). The page renders
// only what this returns, so the source can change (a chain-checked call story) without touching the page.
import { eq } from "drizzle-orm";
import type { Approval, ApprovalService } from "../approvals/index.ts";
import { listAuditEvents, MAX_PAGE_SIZE } from "../audit/index.ts";
import { toolCalls, type AuditEventRow, type Database, type ToolCallRow } from "../db/index.ts";

export interface CallRecord {
  call: ToolCallRow;
  /** The call's audit events, oldest first. */
  events: AuditEventRow[];
  approval: Approval | null;
  /** True when the call attached to (or was answered from) an approval opened by an earlier identical call. */
  isFollowUp: boolean;
}

export interface CallDataDeps {
  database: Database;
  approvals: Pick<ApprovalService, "get">;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The call with this id, or null when there is none. */
export async function loadCallRecord(deps: CallDataDeps, callId: string): Promise<CallRecord | null> {
  if (!UUID.test(callId)) return null;
  const id = callId.toLowerCase();
  const [call] = await deps.database.db.select().from(toolCalls).where(eq(toolCalls.id, id));
  if (!call) return null;
  const { rows } = await listAuditEvents(deps.database, { callId: id, limit: MAX_PAGE_SIZE });
  const events = rows.reverse();
  const approvalId = events.map((e) => e.data.approvalId).find((v): v is string => typeof v === "string");
  const approval = approvalId ? await deps.approvals.get(approvalId) : null;
  return { call, events, approval, isFollowUp: approval !== null && approval.callId !== id };
}

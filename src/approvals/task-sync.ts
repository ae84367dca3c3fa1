// Keeps the MCP task of a held call in step with its approval: when the approval ends (in any
// process: Slack click, CLI, expiry, execution), the task gets the same final result the held
// request would have returned. Prompt through the bus, sure through the reaper's sweep.
import { and, eq, inArray, notInArray } from "drizzle-orm";
import { approvals, mcpTasks, type Database } from "../db/index.ts";
import type { Logger } from "../log/index.ts";
import { cancelledResult, createTaskLedger, HELD_TASK_CANCELLED, TERMINAL_TASK_STATUSES } from "../tasks/index.ts";
import type { ApprovalBus } from "./bus.ts";
import type { ApprovalRepository } from "./repository.ts";
import { finalResult } from "./results.ts";
import { isUnclaimedExpiry, TERMINAL_STATUSES, type Approval } from "./types.ts";
import { plainText, renderVoter } from "./voters.ts";

export function startTaskSync(deps: { database: Database; repo: ApprovalRepository; bus: ApprovalBus; logger: Logger }) {
  const ledger = createTaskLedger(deps.database);

  async function completeFor(approval: Approval): Promise<void> {
    for (const task of await ledger.findTasksByApproval(approval.id)) {
      if (isCancelledByItsTask(approval)) {
        // tasks/cancel cancelled the approval and is about to mark its task cancelled; if that request
        // died in between (or this sweep got there first), the task ends as it asked: cancelled.
        await ledger.completeTask(task.taskId, "cancelled", cancelledResult(HELD_TASK_CANCELLED), HELD_TASK_CANCELLED);
      } else if (TERMINAL_STATUSES.includes(approval.status)) {
        const result = finalResult(approval);
        await ledger.completeTask(task.taskId, approval.status === "succeeded" ? "completed" : "failed", result, describe(approval));
      } else {
        await ledger.setStatusMessage(task.taskId, describe(approval));
      }
    }
  }

  const unsubscribe = deps.bus.subscribe((change) => {
    // A task is created for an approval after the approval: a new one has none yet. An agent attaching
    // or leaving changes nothing a task shows (each held request placed read the approval and its tasks).
    if (change.isNew || change.isPresence) return;
    void deps.repo
      .get(change.id)
      .then(async (approval) => {
        // tasks/cancel cancelled it and marks its own task cancelled next; finishing the task here first
        // would answer that request "already failed". (The sweep still ends a task left open.)
        if (approval && !isCancelledByItsTask(approval)) await completeFor(approval);
      })
      .catch((error: unknown) => deps.logger.warn({ err: (error as Error).message, approval: change.id }, "could not update the approval's task"));
  });

  return {
    /** Ends open tasks whose approval already ended (a change made while no gateway listened). */
    async sweep(): Promise<void> {
      const stale = await deps.database.db
        .select({ approvalId: approvals.id })
        .from(mcpTasks)
        .innerJoin(approvals, eq(mcpTasks.approvalId, approvals.id))
        .where(and(notInArray(mcpTasks.status, [...TERMINAL_TASK_STATUSES]), inArray(approvals.status, [...TERMINAL_STATUSES])));
      for (const { approvalId } of stale) {
        const approval = await deps.repo.get(approvalId);
        if (approval) await completeFor(approval);
      }
      await ledger.purgeExpiredTasks();
    },
    close: () => unsubscribe(),
  };
}

/** Why an approval was cancelled through its MCP task (tasks/cancel). */
export const TASK_CANCEL_REASON = "the agent's client cancelled its MCP task";

function isCancelledByItsTask(approval: Approval): boolean {
  return approval.status === "cancelled" && approval.decisionReason === TASK_CANCEL_REASON;
}

function describe(approval: Approval): string {
  const by = renderVoter(approval.decidedBy, "agent");
  switch (approval.status) {
    case "pending": {
      const votes = approval.votes.filter((v) => v.vote === "approve").length;
      return `awaiting approval${approval.spec.channel ? ` in ${approval.spec.channel}` : ""} (${votes}/${approval.spec.minApprovals})`;
    }
    case "approved":
      return `approved by ${by}; starting`;
    case "executing":
      return `approved by ${by}; running`;
    case "succeeded":
      return `approved by ${by}; ran in ${approval.durationMs ?? "?"} ms`;
    case "failed":
      return `approved by ${by}; the upstream call failed`;
    case "denied":
      return `denied by ${by}${approval.decisionReason ? `: ${plainText(approval.decisionReason)}` : ""}`;
    case "expired":
      return isUnclaimedExpiry(approval) ? "approved, but expired before it ran" : "expired without a decision";
    case "cancelled":
      return `cancelled${approval.decisionReason ? `: ${plainText(approval.decisionReason)}` : ""}`;
    case "outcome_unknown":
      return `outcome unknown: ${approval.error ?? "the gateway stopped while the call ran"}; it may have run and is not retried`;
  }
}

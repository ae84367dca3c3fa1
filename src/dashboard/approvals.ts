// Pending approvals: the live board at `/`, one approval's page, and the vote form. A vote goes through the
// approval service exactly like a Slack click or an API call (approvers, self-approval, quorum of people, first
// decision wins); this file only turns the outcome into words.
import { Router } from "express";
import type { Approval, ApprovalCore, ApprovalStatus, VoteOutcome } from "../approvals/index.ts";
import type { AuditWriter } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import type { Caller } from "../http/callers.ts";
import { checkedApprovals } from "./approval-check.ts";
import { approvalCard, pendingSection, recentSection } from "./approval-views.ts";
import { redirectWithFlash, type Flash } from "./flash.ts";
import { html, type Markup } from "./html.ts";
import { pageHeader, sendHtml, sendPage } from "./layout.ts";
import { notFound } from "./not-found.ts";

export interface ApprovalPagesDeps {
  approvals: ApprovalCore;
  /** Each approval shown is checked against the audit chain, after this process's own entries commit. */
  database: Database;
  audit: AuditWriter;
}

const DECIDED: ApprovalStatus[] = ["approved", "denied", "expired", "cancelled", "executing", "succeeded", "failed", "outcome_unknown"];
const RECENT_LIMIT = 15;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createApprovalPages(deps: ApprovalPagesDeps): Router {
  const router = Router();

  async function board(caller: Caller): Promise<Markup> {
    const [pendingRows, recentRows] = await Promise.all([deps.approvals.list({ statuses: ["pending"], limit: 200 }), deps.approvals.list({ statuses: DECIDED, limit: RECENT_LIMIT })]);
    const [pending, recent] = await Promise.all([checkedApprovals(deps.database, deps.audit, pendingRows), checkedApprovals(deps.database, deps.audit, recentRows)]);
    // The most urgent first: the one whose deadline comes soonest.
    pending.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
    const now = new Date();
    return html`${pendingSection(pending, caller, now)}${recentSection(recent)}`;
  }

  router.get("/", async (req, res) => {
    const caller = res.locals.caller as Caller;
    const live = html`<span class="live-status" data-live-status aria-live="polite">Updates on reload</span>`;
    sendPage(req, res, {
      title: "Pending approvals",
      section: "pending",
      body: html`${pageHeader("Pending approvals", "Held tool calls wait here for a person. Decide with the same rules as in Slack.", live)}
<div id="board" data-live-board="/approvals/board">${await board(caller)}</div>`,
    });
  });

  // The board without the frame: what the page's script swaps in when an approval changes.
  router.get("/approvals/board", async (_req, res) => {
    sendHtml(res, 200, await board(res.locals.caller as Caller));
  });

  router.get("/approvals/:id", async (req, res) => {
    const stored = UUID.test(req.params.id) ? await deps.approvals.get(req.params.id) : null;
    if (!stored) return notFound(req, res, "There is no approval with this id.");
    const [approval = { ...stored, integrity: null }] = await checkedApprovals(deps.database, deps.audit, [stored]);
    const caller = res.locals.caller as Caller;
    sendPage(req, res, {
      title: `Approval ${approval.tool}`,
      section: "pending",
      body: html`${pageHeader("Approval", html`<a href="/">← All pending approvals</a>`)}
<div data-live-card="${approval.id}">${approvalCard(approval, caller, new Date(), { back: `/approvals/${approval.id}` })}</div>`,
    });
  });

  router.post("/approvals/:id/vote", async (req, res) => {
    const caller = res.locals.caller as Caller;
    const body = req.body as Record<string, unknown>;
    const back = safeBack(body.back);
    const vote = body.vote === "approve" || body.vote === "deny" ? body.vote : null;
    const reason = typeof body.reason === "string" && body.reason.trim() ? body.reason.trim() : undefined;
    if (!vote) return redirectWithFlash(res, back, { kind: "error", text: "Choose Approve or Deny." });
    if (reason && reason.length > 2000) return redirectWithFlash(res, back, { kind: "error", text: "The reason is too long (at most 2000 characters); nothing changed." });
    if (!UUID.test(req.params.id)) return redirectWithFlash(res, back, { kind: "error", text: "There is no approval with this id." });
    const outcome = await deps.approvals.vote(req.params.id, { voter: caller.voter, vote, reason, channel: "dashboard" });
    redirectWithFlash(res, back, describeOutcome(outcome, vote));
  });

  return router;
}

/** What the reviewer reads after voting. */
export function describeOutcome(outcome: VoteOutcome, vote: "approve" | "deny"): Flash {
  if (outcome.kind === "not_found") return { kind: "error", text: "There is no approval with this id; nothing changed." };
  const tool = outcome.approval.tool;
  switch (outcome.kind) {
    case "decided":
      return vote === "approve"
        ? { kind: "success", text: `Approved ${tool}. ${runsWhen(outcome.approval)}` }
        : { kind: "success", text: `Denied ${tool}. The agent is told it was denied${outcome.approval.decisionReason ? `, with your reason` : ""}; nothing runs.` };
    case "recorded":
      return { kind: "info", text: `Your approval of ${tool} is recorded: ${outcome.approvals} of ${outcome.needed} approvals. It runs once ${outcome.needed - outcome.approvals} more ${outcome.needed - outcome.approvals === 1 ? "person approves" : "people approve"}.` };
    case "already_decided":
      return { kind: "info", text: `${tool} was already decided (${outcome.approval.status.replace("_", " ")}); your vote changed nothing.` };
    case "duplicate":
      return { kind: "info", text: `You already voted on ${tool}; a person's vote counts once. Nothing changed.` };
    case "not_allowed":
      return { kind: "error", text: `You may not ${vote} ${tool}: ${outcome.reason}. Nothing changed.` };
  }
}

function runsWhen(approval: Approval): string {
  return approval.agent.isWaiting ? "It runs now and the agent gets the result." : "No agent is connected: it runs when the agent calls again before the deadline.";
}

/** Where to go after a vote: a path on this site only. */
function safeBack(value: unknown): string {
  return typeof value === "string" && /^\/(?!\/)[\w\-/.?=&%]*$/.test(value) && !value.includes("\\") ? value : "/";
}

// How an approval looks on the dashboard: a card with everything a reviewer needs to decide (tool, agent, rule,
// redacted arguments, time left, votes against the quorum, whether the agent is there to take the result), and
// a row in the list of recent decisions.
import type { Approval } from "../approvals/index.ts";
import type { Caller } from "../http/callers.ts";
import type { ShownApproval } from "./approval-check.ts";
import { integrityMark } from "./audit.ts";
import { badge, formatDuration, personName, plural, pointer, prettyJson, shortId, timeLeft, timeTag } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { csrfField, emptyState } from "./layout.ts";

export function approveCount(approval: Approval): number {
  return approval.votes.filter((v) => v.vote === "approve").length;
}

export function approvalCard(approval: ShownApproval, caller: Caller, now: Date, options: { back?: string } = {}): Markup {
  const isPending = approval.status === "pending";
  const isTampered = approval.integrity !== null && !approval.integrity.ok;
  return html`<article class="card approval${isPending ? "" : " is-decided"}${isTampered ? " is-tampered" : ""}" id="approval-${approval.id}" data-approval-id="${approval.id}" data-status="${approval.status}" aria-labelledby="title-${approval.id}">
  <header class="card-head">
    <div class="card-title">
      <h2 id="title-${approval.id}"><code>${approval.tool}</code></h2>
      <p class="card-sub">on <strong>${approval.upstream}</strong> · asked by agent <strong>${approval.grantName}</strong> · ${timeTag(approval.createdAt, "relative")}</p>
    </div>
    <div class="card-state">${isTampered ? html`<span class="badge tone-bad">TAMPERED</span>` : null}${badge(approval.status)}${isPending ? timeLeft(approval.expiresAt, now) : null}</div>
  </header>
  ${isTampered ? tamperNotice(approval.integrity!.problems) : null}
  <div class="card-body">
    <dl class="facts">
      <dt>Rule</dt><dd>${approval.rule ? pointer(approval.rule) : html`<span class="muted">—</span>`}${approval.reason ? html`<div class="fact-note">${approval.reason}</div>` : null}</dd>
      <dt>Agent</dt><dd>${agentPresence(approval)}</dd>
      <dt>Votes</dt><dd>${votesSummary(approval)}</dd>
      <dt>Who may decide</dt><dd>${whoMayDecide(approval)}</dd>
      <dt>Deadline</dt><dd>${timeTag(approval.expiresAt)}</dd>
      <dt>Approval</dt><dd><a href="/approvals/${approval.id}">${shortId(approval.id)}</a> · <a href="/audit/calls/${approval.callId}">call page</a></dd>
    </dl>
    <div class="args">
      <h3>Arguments <span class="muted">(secrets redacted)</span></h3>
      <pre class="json" tabindex="0">${prettyJson(approval.argsRedacted)}</pre>
    </div>
  </div>
  ${isPending ? decisionForm(approval, caller, options.back ?? "/") : outcome(approval)}
</article>`;
}

// Shown in place of trust: the stored approval was changed behind the chain's back, so the card shows the chain's values.
function tamperNotice(problems: readonly string[]): Markup {
  return html`<div class="tamper-notice" role="alert">
    <p><strong>This approval's stored record disagrees with the audit chain.</strong> It was changed outside the gateway; the card shows what the chain says. Check with <code>gatehouse audit verify</code> before deciding.</p>
    <ul class="chain-problems">${problems.map((problem) => html`<li>${problem}</li>`)}</ul>
  </div>`;
}

function agentPresence(approval: Approval): Markup {
  const { agent } = approval;
  const returns = agent.returns > 0 ? html` · came back ${plural(agent.returns, "time")}` : null;
  const how = approval.holdMode === "task" ? "as an MCP task" : approval.holdMode === "ticket" ? "with a pending answer" : "on a held request";
  const state = agent.isWaiting ? badge("waiting", "ok") : badge("not connected", "warn");
  const note = agent.isWaiting ? `waiting ${how}` : "gets the result when it calls again before the deadline";
  return html`${state} <span class="fact-note-inline">${note}${returns}</span>`;
}

function votesSummary(approval: Approval): Markup {
  const needed = approval.spec.minApprovals;
  const approvals = approveCount(approval);
  const list = approval.votes.length
    ? html`<ul class="votes">${approval.votes.map(
        (v) => html`<li>${badge(v.vote === "approve" ? "approve" : "deny", v.vote === "approve" ? "ok" : "bad")} <strong>${personName(v.voter)}</strong> ${timeTag(v.createdAt, "relative")}${v.reason ? html` — <q>${v.reason}</q>` : null}</li>`,
      )}</ul>`
    : null;
  return html`<span class="quorum"><strong>${approvals}</strong> of ${needed} ${needed === 1 ? "approval" : "approvals"}</span>${list}`;
}

function whoMayDecide(approval: Approval): Markup {
  const { approvers, allowSelfApproval } = approval.spec;
  const list = approvers.length === 0 ? "anyone signed in" : approvers.join(", ");
  const owner = approval.grantOwner ? (allowSelfApproval ? ` (the agent's owner ${approval.grantOwner} may approve)` : ` (not the agent's owner ${approval.grantOwner})`) : "";
  return html`${list}${owner}`;
}

function decisionForm(approval: Approval, caller: Caller, back: string): Markup {
  const mine = approval.votes.find((v) => v.voter === caller.voter.id);
  if (mine) {
    return html`<div class="decided-note">You voted to <strong>${mine.vote}</strong> ${timeTag(mine.createdAt, "relative")}. ${
      approveCount(approval) < approval.spec.minApprovals ? "It needs more approvals from other people." : ""
    }</div>`;
  }
  return html`<form class="decide" method="post" action="/approvals/${approval.id}/vote">
    ${csrfField(caller)}<input type="hidden" name="back" value="${back}">
    <label for="reason-${approval.id}">Reason <span class="muted">(optional; the agent sees it when you deny)</span></label>
    <div class="decide-row">
      <textarea id="reason-${approval.id}" name="reason" rows="1" maxlength="2000" data-keep></textarea>
      <button type="submit" name="vote" value="approve" class="button approve">Approve</button>
      <button type="submit" name="vote" value="deny" class="button deny">Deny</button>
    </div>
    <p class="field-hint">You vote as ${caller.displayName} (<code>${caller.voter.id}</code>).</p>
  </form>`;
}

function outcome(approval: Approval): Markup {
  const by = approval.decidedBy ? html` by <strong>${approval.decidedBy === "timeout" ? "the deadline" : personName(approval.decidedBy)}</strong>` : null;
  const ran =
    approval.executedAt !== null
      ? html`<p>Ran ${timeTag(approval.executedAt, "relative")}${approval.durationMs !== null ? html` in ${formatDuration(approval.durationMs)}` : null}${approval.error ? html` — <span class="error-text">${approval.error}</span>` : null}.</p>`
      : null;
  return html`<div class="decided-note">
    <p>${badge(approval.status)} ${approval.decidedAt ? html`Decided${by} ${timeTag(approval.decidedAt, "relative")}` : "Ended"}${approval.decisionReason ? html` — <q>${approval.decisionReason}</q>` : null}.</p>
    ${ran}
  </div>`;
}

export function pendingSection(pending: ShownApproval[], caller: Caller, now: Date): Markup {
  return html`<section class="board-section" aria-labelledby="pending-title">
  <h2 id="pending-title" class="section-title">Waiting for a decision <span class="count" data-pending-count>${pending.length}</span></h2>
  ${pending.length === 0 ? emptyState("Nothing is waiting.", "Held calls appear here the moment an agent makes one.") : html`<div class="cards">${pending.map((a) => approvalCard(a, caller, now))}</div>`}
</section>`;
}

export function recentSection(recent: ShownApproval[]): Markup {
  return html`<section class="board-section" aria-labelledby="recent-title">
  <h2 id="recent-title" class="section-title">Recently decided</h2>
  ${
    recent.length === 0
      ? emptyState("No decisions yet.", "Approved, denied and expired calls are listed here.")
      : html`<div class="table-wrap"><table class="data">
    <thead><tr><th scope="col"><span class="visually-hidden">Chain check</span></th><th scope="col">Asked</th><th scope="col">Tool</th><th scope="col">Agent</th><th scope="col">Outcome</th><th scope="col">Decided by</th><th scope="col">Votes</th><th scope="col">Ran in</th></tr></thead>
    <tbody>${recent.map(
      (a) => html`<tr${a.integrity && !a.integrity.ok ? html` class="tampered"` : null}>
      <td>${a.integrity ? integrityMark(a.integrity) : null}</td>
      <td class="nowrap">${timeTag(a.createdAt, "short")}</td>
      <td><a href="/audit/calls/${a.callId}"><code>${a.tool}</code></a><div class="cell-note">${a.upstream}</div></td>
      <td>${a.grantName}</td>
      <td>${badge(a.status)}</td>
      <td>${a.decidedBy === "timeout" ? "deadline" : personName(a.decidedBy)}${a.decisionReason ? html`<div class="cell-note">${a.decisionReason}</div>` : null}</td>
      <td>${approveCount(a)} / ${a.spec.minApprovals}${a.votes.some((v) => v.vote === "deny") ? html` <span class="cell-note">(deny)</span>` : null}</td>
      <td>${formatDuration(a.durationMs)}</td>
    </tr>`,
    )}</tbody></table></div>`
  }
</section>`;
}

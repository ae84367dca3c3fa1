// One call on one screen, for an auditor: who asked with which (redacted) arguments, what the policy decided and
// why, who voted what and when, what ran and what the upstream answered, and each recorded step with its time.
import { Router } from "express";
import type { Approval } from "../approvals/index.ts";
import { redactArguments, redactText } from "../audit/index.ts";
import type { AuditEventRow } from "../db/index.ts";
import { approveCount } from "./approval-views.ts";
import { loadCallRecord, type CallDataDeps, type CallRecord } from "./call-data.ts";
import { badge, formatDuration, personName, pointer, prettyJson, shortId, timeTag } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { pageHeader, sendPage } from "./layout.ts";
import { notFound } from "./not-found.ts";

const MAX_RESULT_CHARS = 4000;

export function createCallPage(deps: CallDataDeps): Router {
  const router = Router();
  router.get("/audit/calls/:id", async (req, res) => {
    const record = await loadCallRecord(deps, req.params.id);
    if (!record) return notFound(req, res, "There is no call with this id in the audit history.");
    sendPage(req, res, { title: `Call ${record.call.tool}`, section: "audit", body: callPage(record) });
  });
  return router;
}

export function callPage(record: CallRecord): Markup {
  const { call, approval } = record;
  const subtitle = html`<a href="/audit">← Audit history</a> · call <code>${call.id}</code>`;
  return html`${pageHeader(call.tool, subtitle, html`${badge(call.decision)} ${badge(call.status)}`)}
<div class="call-grid">
  <div class="stack">
  <section class="panel" aria-labelledby="asked">
    <h2 id="asked">Who asked</h2>
    <dl class="facts">
      <dt>Agent (grant)</dt><dd><strong>${call.grantName}</strong>${approval?.grantOwner ? html` <span class="muted">owner ${approval.grantOwner}</span>` : null}</dd>
      <dt>Session</dt><dd><code>${call.sessionId}</code></dd>
      <dt>Tool</dt><dd><code>${call.tool}</code> on <strong>${call.upstream}</strong></dd>
      <dt>Asked at</dt><dd>${timeTag(call.createdAt)}</dd>
    </dl>
    <h3>Arguments <span class="muted">(secrets redacted)</span></h3>
    <pre class="json" tabindex="0">${prettyJson(call.argsRedacted)}</pre>
    <p class="hash">SHA-256 of the exact arguments: <code>${call.argsHash}</code></p>
  </section>
  ${ranPanel(record)}
  </div>
  <div class="stack">
    <section class="panel" aria-labelledby="policy">
      <h2 id="policy">What the policy decided</h2>
      <dl class="facts">
        <dt>Decision</dt><dd>${badge(call.decision)}</dd>
        <dt>Rule</dt><dd>${call.rule ? pointer(call.rule) : html`<span class="muted">the policy's default</span>`}</dd>
        ${call.reason ? html`<dt>Reason</dt><dd>${call.reason}</dd>` : null}
      </dl>
    </section>
    ${approval ? peoplePanel(approval, record.isFollowUp) : null}
  </div>
</div>
${timeline(record.events, call.createdAt)}`;
}

function peoplePanel(approval: Approval, isFollowUp: boolean): Markup {
  const needed = approval.spec.minApprovals;
  return html`<section class="panel" aria-labelledby="people">
  <h2 id="people">Who decided</h2>
  ${isFollowUp ? html`<p class="fact-note">This call repeated an earlier identical one and followed its approval <a href="/audit/calls/${approval.callId}">(first call)</a>.</p>` : null}
  <dl class="facts">
    <dt>Approval</dt><dd>${badge(approval.status)} <a href="/approvals/${approval.id}">${shortId(approval.id)}</a></dd>
    <dt>Needed</dt><dd>${needed} ${needed === 1 ? "approval" : "approvals"} from ${approval.spec.approvers.length ? approval.spec.approvers.join(", ") : "anyone"}; ${approveCount(approval)} given</dd>
    <dt>Decided</dt><dd>${approval.decidedAt ? html`by <strong>${approval.decidedBy === "timeout" ? "the deadline" : personName(approval.decidedBy)}</strong> ${timeTag(approval.decidedAt)}` : html`<span class="muted">not yet</span>`}${
      approval.decisionReason ? html`<div class="fact-note"><q>${approval.decisionReason}</q></div>` : null
    }</dd>
  </dl>
  ${
    approval.votes.length
      ? html`<table class="data compact"><thead><tr><th scope="col">Person</th><th scope="col">Vote</th><th scope="col">Reason</th><th scope="col">When</th></tr></thead><tbody>${approval.votes.map(
          (v) => html`<tr><td>${personName(v.voter)}</td><td>${badge(v.vote, v.vote === "approve" ? "ok" : "bad")}</td><td>${v.reason ?? html`<span class="muted">—</span>`}</td><td>${timeTag(v.createdAt)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">No votes.</p>`
  }
</section>`;
}

function ranPanel(record: CallRecord): Markup {
  const { call, approval } = record;
  const result = approval?.result ?? null;
  return html`<section class="panel" aria-labelledby="ran">
  <h2 id="ran">What ran</h2>
  <dl class="facts">
    <dt>Outcome</dt><dd>${badge(call.status)}</dd>
    <dt>Duration</dt><dd>${formatDuration(call.durationMs)}</dd>
    ${approval?.executedAt ? html`<dt>Ran at</dt><dd>${timeTag(approval.executedAt)}</dd>` : null}
    ${call.error ? html`<dt>Error</dt><dd class="error-text">${call.error}</dd>` : null}
  </dl>
  ${
    result
      ? html`<h3>Upstream answer <span class="muted">(secrets redacted)</span>${result.isError ? html` ${badge("error", "bad")}` : null}</h3><pre class="json" tabindex="0">${clip(answerText(result))}</pre>`
      : html`<p class="muted">${approval ? "The upstream has not answered this call." : "The upstream's answer is not kept for calls that ran without approval."}</p>`
  }
</section>`;
}

/** The answer's text parts (JSON indented), with credentials redacted as the arguments are. */
function answerText(result: NonNullable<Approval["result"]>): string {
  const texts = (result.content ?? []).filter((c): c is { type: "text"; text: string } => c.type === "text").map((c) => c.text);
  if (texts.length === 0) return prettyJson(redactArguments(result).redacted);
  return texts
    .map((text) => {
      try {
        return prettyJson(redactArguments(JSON.parse(text)).redacted);
      } catch {
        return redactText(text);
      }
    })
    .join("\n\n");
}

function clip(text: string): string {
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}\n… (${text.length - MAX_RESULT_CHARS} more characters)` : text;
}

function timeline(events: AuditEventRow[], start: Date): Markup {
  return html`<section class="panel" aria-labelledby="steps">
  <h2 id="steps">Recorded steps <span class="muted">(${events.length} audit ${events.length === 1 ? "event" : "events"})</span></h2>
  ${
    events.length === 0
      ? html`<p class="muted">No audit events for this call.</p>`
      : html`<div class="table-wrap"><table class="data compact">
    <thead><tr><th scope="col" class="num">Seq</th><th scope="col">Time</th><th scope="col" class="num">After start</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Detail</th><th scope="col">Hash</th></tr></thead>
    <tbody>${events.map(
      (e, i) => html`<tr>
      <td class="num">${e.seq}</td>
      <td class="nowrap">${timeTag(e.at, "short")}</td>
      <td class="num">+${formatDuration(Math.max(0, e.at.getTime() - start.getTime()))}</td>
      <td><code>${e.type}</code></td>
      <td>${personName(e.actor)}</td>
      <td>${eventDetail(e, events[i - 1])}</td>
      <td><code class="hash-short" title="${e.hash}">${e.hash.slice(0, 12)}</code></td>
    </tr>`,
    )}</tbody></table></div>
  <p class="hint">Each event stores the hash of the one before it; <code>gatehouse audit verify</code> checks the whole chain.</p>`
  }
</section>`;
}

/** What an event adds to the one before it: a vote, a new reason, an error, how long the upstream took. */
function eventDetail(event: AuditEventRow, previous: AuditEventRow | undefined): Markup {
  const data = event.data;
  const vote = typeof data.vote === "string" ? badge(data.vote, data.vote === "approve" ? "ok" : "bad") : null;
  const voteReason = typeof data.reason === "string" && data.reason ? data.reason : null;
  const reason = event.reason && event.reason !== previous?.reason ? event.reason : null;
  const error = typeof data.error === "string" ? html`<div class="error-text">${data.error}</div>` : null;
  const duration = typeof data.durationMs === "number" ? html`<span class="muted">upstream took ${formatDuration(data.durationMs)}</span>` : null;
  return html`${vote} ${voteReason ?? reason}${error}${duration}`;
}

// The panels of a call's page, each rendering one part of the call story. The values, and the words for the
// chain check, the quorum and how a vote arrived, are the ones `gatehouse audit show` prints for the call.
import { approvalsNeeded, chainSummary, voteMeans, type CallStory, type ResultSummary, type StoryApproval, type TimelineStep } from "../audit/index.ts";
import { badge, formatDuration, personName, pointer, prettyJson, timeTag } from "./format.ts";
import { html, type Markup } from "./html.ts";

type ChainState = "verified" | "tampered" | "broken";

const CHAIN_NOTES: Record<ChainState, Markup> = {
  verified: html`Each event's hash covers its contents and the hash of the event before it; <code>gatehouse audit verify</code> walks the whole chain and checks the signed checkpoints.`,
  tampered: html`The stored rows were changed after the gateway wrote them. This page shows what the audit chain says; here is what differs:`,
  broken: html`Audit events of this call fail their hash checks: they were edited or deleted after they were written. What differs:`,
};

export function chainPanel(story: CallStory): Markup {
  const { chain, integrity } = story;
  const state: ChainState = !chain.ok ? "broken" : integrity.ok ? "verified" : "tampered";
  const verdict = state === "verified" ? badge("verified", "ok") : html`<span class="badge tone-bad">${state.toUpperCase()}</span>`;
  return html`<section class="panel chain-panel is-${state}" aria-labelledby="chain"${state === "verified" ? null : html` role="alert"`}>
  <div class="chain-head"><h2 id="chain">Chain check ${verdict}</h2><p class="chain-summary">${chainSummary(story)}</p></div>
  <p class="hint">${CHAIN_NOTES[state]}</p>
  ${integrity.problems.length > 0 ? html`<ul class="chain-problems">${integrity.problems.map((problem) => html`<li>${problem}</li>`)}</ul>` : null}
  ${integrity.unverified.length > 0 ? html`<p class="hint">Not covered by the chain (recorded before events carried them): ${integrity.unverified.join(", ")}</p>` : null}
</section>`;
}

export function askedPanel(story: CallStory): Markup {
  const { asked } = story;
  const client = asked.client ? `${asked.client.name} ${asked.client.version}`.trim() : null;
  return html`<section class="panel" aria-labelledby="asked">
  <h2 id="asked">Who asked</h2>
  <dl class="facts">
    <dt>Agent (grant)</dt><dd><strong>${asked.grant}</strong>${edited(story, "grant")}</dd>
    <dt>Session</dt><dd><code>${asked.session}</code>${edited(story, "session")}</dd>
    <dt>Client</dt><dd>${client ?? html`<span class="muted">not recorded</span>`}</dd>
    <dt>Tool</dt><dd><code>${asked.tool}</code> on <strong>${asked.upstream}</strong>${edited(story, "tool")}${edited(story, "upstream")}</dd>
    <dt>Asked at</dt><dd>${timeTag(asked.at, "precise")}${edited(story, "time")}</dd>
  </dl>
  <h3>Arguments <span class="muted">(secrets redacted)</span>${edited(story, "arguments")}</h3>
  <pre class="json" tabindex="0">${prettyJson(story.arguments.redacted)}</pre>
  <p class="hash">SHA-256 of the exact arguments: <code>${story.arguments.hash}</code>${edited(story, "arguments hash")}</p>
</section>`;
}

export function decisionPanel(story: CallStory): Markup {
  const { decision, call } = story;
  return html`<section class="panel" aria-labelledby="policy">
  <h2 id="policy">What the policy decided</h2>
  <dl class="facts">
    <dt>Decision</dt><dd>${badge(decision.decision)}${edited(story, "decision")}</dd>
    <dt>Rule</dt><dd>${decision.rule ? pointer(decision.rule) : html`<span class="muted">the policy's default</span>`}${edited(story, "rule")}</dd>
    ${decision.reason ? html`<dt>Reason</dt><dd>${decision.reason}${edited(story, "reason")}</dd>` : null}
    <dt>Call status</dt><dd>${badge(call.status)}${edited(story, "status")}</dd>
  </dl>
</section>`;
}

export function peoplePanel(approval: StoryApproval): Markup {
  const given = approval.votes.filter((v) => v.vote === "approve").length;
  return html`<section class="panel" aria-labelledby="people">
  <h2 id="people">Who decided</h2>
  ${
    approval.isFollowUp
      ? html`<p class="fact-note">This call repeated an earlier identical one and followed its approval, opened by the identical call <a href="/audit/calls/${approval.callId ?? ""}"><code>${approval.callId ?? "?"}</code></a>.</p>`
      : null
  }
  <dl class="facts">
    <dt>Approval</dt><dd>${badge(approval.status ?? "unknown")} <a href="/approvals/${approval.id}"><code>${approval.id}</code></a></dd>
    <dt>Needed</dt><dd>${approvalsNeeded(approval.spec)}; ${given} given</dd>
    <dt>Asked</dt><dd>${timeTag(approval.createdAt, "precise")} <span class="muted">· deadline ${timeTag(approval.expiresAt, "precise")}</span></dd>
    <dt>Decided</dt><dd>${
      approval.decidedBy
        ? html`by ${person(approval.decidedBy)} ${timeTag(approval.decidedAt, "precise")}${approval.decisionReason ? html`<div class="fact-note"><q>${approval.decisionReason}</q></div>` : null}`
        : html`<span class="muted">not yet</span>`
    }</dd>
  </dl>
  ${
    approval.votes.length > 0
      ? html`<h3>Votes</h3><ol class="vote-list">${approval.votes.map(
          (v) => html`<li>
      <div class="vote-head">${badge(v.vote, v.vote === "approve" ? "ok" : "bad")} ${person(v.voter)} <span class="vote-time">${timeTag(v.at, "precise")}</span></div>
      ${v.reason ? html`<div class="vote-reason"><q>${v.reason}</q></div>` : null}
      ${voteMeans(v) ? html`<div class="cell-note">via ${voteMeans(v)}</div>` : null}
    </li>`,
        )}</ol>`
      : html`<p class="muted">No votes.</p>`
  }
</section>`;
}

export function ranPanel(story: CallStory): Markup {
  const { execution, result } = story;
  const facts = execution
    ? html`<dl class="facts">
    <dt>Sent</dt><dd>${timeTag(execution.startedAt, "precise")}${execution.ranBy ? html` by <code class="person-id">${execution.ranBy}</code>` : null}</dd>
    <dt>Outcome</dt><dd>${badge(execution.status)}${execution.durationMs === null ? null : ` in ${formatDuration(execution.durationMs)}`}${
      execution.finishedAt ? html` <span class="muted">(ended ${timeTag(execution.finishedAt, "precise")})</span>` : null
    }</dd>
    ${execution.error ? html`<dt>Error</dt><dd class="error-text">${execution.error}</dd>` : null}
  </dl>`
    : html`<p class="muted">Not run: nothing was sent to the upstream.</p>`;
  const noAnswer = execution ? html`<p class="muted">The audit chain keeps no answer for this call.</p>` : null;
  return html`<section class="panel" aria-labelledby="ran">
  <h2 id="ran">What ran</h2>
  ${facts}
  ${result ? upstreamAnswer(result) : noAnswer}
</section>`;
}

function upstreamAnswer(result: ResultSummary): Markup {
  const others = Object.entries(result.content)
    .filter(([type]) => type !== "text")
    .map(([type, count]) => `${count} ${type}`);
  if (result.hasStructuredContent) others.push("structured content");
  const cut = result.isTruncated ? html`; first ${result.text.length} of ${result.textLength} characters` : null;
  return html`<h3>Upstream answered${result.isError ? html` ${badge("with an error", "bad")}` : null} <span class="muted">(secrets redacted${cut})</span></h3>
  <pre class="json answer" tabindex="0">${result.text === "" ? "(no text content)" : result.text}</pre>
  ${others.length > 0 ? html`<p class="hint">also: ${others.join(", ")}</p>` : null}`;
}

export function timelinePanel(story: CallStory): Markup {
  const { timeline, chain } = story;
  const span = chain.firstSeq === null ? "" : `, seq ${chain.firstSeq}–${chain.lastSeq}`;
  return html`<section class="panel" aria-labelledby="steps">
  <h2 id="steps">Timeline <span class="muted">(${timeline.length} audit ${timeline.length === 1 ? "event" : "events"}${span})</span></h2>
  ${
    timeline.length === 0
      ? html`<p class="muted">No audit events for this call.</p>`
      : html`<div class="table-wrap"><table class="data compact timeline">
    <thead><tr><th scope="col" class="num">Seq</th><th scope="col">Time</th><th scope="col" class="num">After start</th><th scope="col" class="num" title="Time since the step before">Step took</th><th scope="col">What happened</th><th scope="col">Event</th><th scope="col">Hash</th></tr></thead>
    <tbody>${timeline.map((step, i) => timelineRow(step, i === 0))}</tbody></table></div>`
  }
</section>`;
}

function timelineRow(step: TimelineStep, isFirst: boolean): Markup {
  return html`<tr${step.isIntact ? null : html` class="tampered"`}>
      <td class="num">${step.seq}</td>
      <td class="nowrap">${timeTag(step.at, "precise")}</td>
      <td class="num nowrap">+${formatDuration(step.sinceStartMs)}</td>
      <td class="num nowrap">${isFirst ? html`<span class="muted">—</span>` : formatDuration(step.sincePreviousMs)}</td>
      <td>${step.isIntact ? null : html`<span class="badge tone-bad">EDITED</span> `}${step.summary}</td>
      <td><code>${step.type}</code></td>
      <td class="nowrap">${
        step.isIntact
          ? html`<span class="chain-mark ok" title="Its hash matches its contents">✓</span> <code class="hash-short" title="${step.hash}">${step.hash.slice(0, 12)}</code>`
          : html`<code class="hash-short" title="${step.hash}">${step.hash.slice(0, 12)}</code>`
      }</td>
    </tr>`;
}

/** A person as people read it ("alice (reviewer)"), with the exact id the audit records when it differs. */
function person(id: string): Markup {
  const name = id === "timeout" ? "the deadline" : personName(id);
  return html`<strong>${name}</strong>${name === id ? null : html` <code class="person-id">${id}</code>`}`;
}

/** A mark next to a fact whose stored row says otherwise than the chain; the page shows the chain's value. */
function edited(story: CallStory, label: string): Markup | null {
  const problem = story.integrity.problems.find((p) => p.startsWith(`${label}: the tool_calls row says`));
  return problem ? html` <span class="badge tone-bad" title="${problem}">row edited</span>` : null;
}

// What checking a candidate policy shows: its problems (each with its JSON Pointer and where it is in the
// text), the diff against the newest version, and the dry run: the recent audited calls whose decision the
// candidate changes. Used by the editor and by a version's page (what rolling back would change).
import type { DryRunReport, PolicyDiffSummary, PolicyProblem, ValidationReport } from "../policies/index.ts";
import { badge, plural, pointer, timeTag } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { decisionBadge } from "./policy-views.ts";

export interface DiffResult {
  fromVersion: number | null;
  diff: string;
  summary: PolicyDiffSummary | null;
}

/** The id of the editor's textarea, which problem locations link to. */
export const EDITOR_ID = "policy-text";

export function validationView(report: ValidationReport): Markup {
  const head = report.ok
    ? html`<p class="check-result ok" data-validation="ok">${badge("valid", "ok")} The policy is valid${report.warnings.length ? html`, with ${plural(report.warnings.length, "warning")}` : null}.</p>`
    : html`<p class="check-result bad" data-validation="invalid" role="alert">${badge("invalid", "bad")} ${plural(report.issues.length, "problem")}: nothing can be saved until ${report.issues.length === 1 ? "it is" : "they are"} fixed.</p>`;
  return html`<section class="panel check" id="policy-problems" aria-labelledby="validation-title">
  <h2 id="validation-title">Validation</h2>
  ${head}
  ${report.issues.length ? problemList(report.issues, "issues") : null}
  ${report.warnings.length ? html`<h3>Warnings</h3>${problemList(report.warnings, "warnings")}` : null}
</section>`;
}

function problemList(problems: PolicyProblem[], kind: "issues" | "warnings"): Markup {
  return html`<ul class="problems ${kind}">${problems.map(
    (p) => html`<li>${p.path ? pointer(p.path) : html`<code class="rule">(document)</code>`} ${p.message}${
      p.line !== undefined
        ? html` <a class="goto-line" href="#${EDITOR_ID}" data-goto-line="${p.line}" data-goto-column="${p.column ?? 1}">line ${p.line}, column ${p.column ?? 1}</a>`
        : null
    }</li>`,
  )}</ul>`;
}

/** A unified diff; with `linksToEditor`, each added line is a link to that line in the editor. */
export function diffView(diff: DiffResult, options: { title?: string; linksToEditor?: boolean } = {}): Markup {
  const lines = diff.diff.split("\n").filter((line) => line !== "" && !/^(Index:|={5,}|--- |\+\+\+ |\\ No newline)/.test(line));
  const isSame = !lines.some((line) => line.startsWith("+") || line.startsWith("-"));
  const against = diff.fromVersion === null ? "the file on disk" : `version ${diff.fromVersion}`;
  return html`<section class="panel check" aria-labelledby="diff-title" data-diff>
  <h2 id="diff-title">${options.title ?? "Changes"} <span class="muted">against ${against}</span></h2>
  ${isSame ? html`<p class="muted">No change: the text is the same as ${against}.</p>` : html`${summaryLine(diff.summary)}<pre class="diff">${diffLines(lines, options.linksToEditor ?? false)}</pre>`}
</section>`;
}

function diffLines(lines: string[], linksToEditor: boolean): Markup[] {
  let newLine = 0;
  return lines.map((line) => {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(line);
    if (hunk) {
      newLine = Number(hunk[1]);
      return html`<span class="diff-hunk">${line}</span>`;
    }
    if (line.startsWith("-")) return html`<span class="diff-del">${line}</span>`;
    const at = newLine++;
    if (!line.startsWith("+")) return html`<span class="diff-same">${line}</span>`;
    return linksToEditor
      ? html`<a class="diff-add" href="#${EDITOR_ID}" data-goto-line="${at}" data-goto-column="1" title="Line ${at} in the editor">${line}</a>`
      : html`<span class="diff-add">${line}</span>`;
  });
}

function summaryLine(summary: PolicyDiffSummary | null): Markup | null {
  if (!summary) return null;
  const groups: Array<[string, string[]]> = [
    ["added", summary.toolsAdded],
    ["removed", summary.toolsRemoved],
    ["changed", summary.toolsChanged],
  ];
  const parts = groups.filter(([, tools]) => tools.length > 0).map(([word, tools]) => html`<li>Tools ${word}: ${tools.map((t, i) => html`${i ? ", " : null}<code>${t}</code>`)}</li>`);
  if (summary.fieldsChanged.length) parts.push(html`<li>Fields changed: ${summary.fieldsChanged.map((f, i) => html`${i ? ", " : null}<code>${f}</code>`)}</li>`);
  return parts.length ? html`<ul class="diff-summary">${parts}</ul>` : null;
}

export function dryRunView(report: DryRunReport, title = "Dry run"): Markup {
  const changed = report.changed.length;
  return html`<section class="panel check" aria-labelledby="dry-run-title" data-dry-run>
  <h2 id="dry-run-title">${title} <span class="muted">over the last ${plural(report.checked, "audited call")}</span></h2>
  <p class="check-result" data-changed-count="${changed}">${
    report.checked === 0
      ? "No audited calls to this upstream yet: nothing to replay."
      : changed === 0
        ? html`${badge("no change", "ok")} None of the ${plural(report.checked, "call")} would be decided differently.`
        : html`${badge(`${changed} changed`, "warn")} ${plural(changed, "call")} of ${report.checked} would be decided differently:`
  }</p>
  ${changed ? changedTable(report) : null}
  ${report.checked ? totalsLine(report) : null}
  <details class="notes"><summary>How the dry run decides</summary><ul>${report.notes.map((n) => html`<li>${n}</li>`)}</ul></details>
</section>`;
}

function changedTable(report: DryRunReport): Markup {
  return html`<div class="table-wrap"><table class="data compact dry-run-table">
  <thead><tr><th scope="col">Call</th><th scope="col">Before → after</th><th scope="col">Decided after by</th></tr></thead>
  <tbody>${report.changed.map(
    (c) => html`<tr data-call-id="${c.callId}">
    <td><a href="/audit/calls/${c.callId}"><code>${c.tool}</code></a><div class="cell-note">${c.grant} · ${timeTag(c.at, "short")}</div></td>
    <td class="nowrap">${decisionBadge(c.before.decision)} <span aria-label="becomes">→</span> ${decisionBadge(c.after.decision)}${c.readsRedactedArgument ? html`<div class="cell-note">reads a redacted argument: the real call may differ</div>` : null}</td>
    <td>${c.after.rule ? pointer(c.after.rule) : html`<span class="muted">—</span>`}</td>
  </tr>`,
  )}</tbody>
</table></div>`;
}

function totalsLine(report: DryRunReport): Markup {
  const kinds = [...new Set([...Object.keys(report.totals.before), ...Object.keys(report.totals.after)])].sort();
  return html`<p class="cell-note totals">${kinds.map((kind, i) => html`${i ? " · " : null}${kind.replace("_", " ")}: ${report.totals.before[kind] ?? 0} → ${report.totals.after[kind] ?? 0}`)}</p>`;
}

// What the grants and reviewers pages share: the one-time token panel, and the confirmation step before
// revoking or removing a credential (a page of its own, so it works without JavaScript).
import type { Caller } from "../http/callers.ts";
import { badge, timeTag } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { csrfField, pageHeader } from "./layout.ts";

export function tokenPanel(what: string, token: string, usage: Markup): Markup {
  return html`<section class="token-panel" aria-labelledby="token-title" data-token-panel>
  <h2 id="token-title">${what}</h2>
  <p class="warning"><strong>Copy this token now: it is shown only this once.</strong> Gatehouse keeps only its hash; if it is lost, create a new one.</p>
  <div class="token-row">
    <label for="new-token" class="visually-hidden">Token</label>
    <input id="new-token" class="token" readonly value="${token}" spellcheck="false" data-select-on-focus>
    <button type="button" class="button" data-copy="#new-token" hidden>Copy</button>
    <span class="copy-status" data-copy-status aria-live="polite"></span>
  </div>
  <p class="hint">${usage}</p>
</section>`;
}

export function confirmPanel(options: { caller: Caller; title: string; action: string; consequences: Markup; confirmLabel: string; cancelHref: string }): Markup {
  return html`${pageHeader(options.title)}
<section class="panel confirm">
  ${options.consequences}
  <form method="post" action="${options.action}" class="confirm-actions">
    ${csrfField(options.caller)}
    <button type="submit" class="button deny">${options.confirmLabel}</button>
    <a href="${options.cancelHref}" class="button secondary">Cancel</a>
  </form>
</section>`;
}

/** A list of credentials, active ones first, ended ones greyed out with when they ended. */
export function credentialTable<T extends { name: string; createdAt: Date }>(options: {
  id: string;
  title: string;
  items: T[];
  endedAt(item: T): Date | null;
  /** "revoked" or "removed". */
  endedWord: string;
  /** Where the revoke/remove confirmation lives, and its button label. */
  end: { path: (name: string) => string; label: string };
  columns: Array<{ title: string; cell(item: T): Markup | string }>;
}): Markup {
  const { items, endedAt } = options;
  const sorted = [...items].sort((a, b) => Number(endedAt(a) !== null) - Number(endedAt(b) !== null) || a.name.localeCompare(b.name));
  const active = items.filter((item) => endedAt(item) === null).length;
  return html`<section class="panel" aria-labelledby="${options.id}"><h2 id="${options.id}">${options.title} <span class="count">${active} active</span></h2>
<div class="table-wrap"><table class="data">
  <thead><tr><th scope="col">Name</th>${options.columns.map((c) => html`<th scope="col">${c.title}</th>`)}<th scope="col">Created</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${sorted.map((item) => {
    const ended = endedAt(item);
    return html`<tr${ended ? html` class="is-inactive"` : null}>
    <td><strong>${item.name}</strong></td>
    ${options.columns.map((c) => html`<td>${c.cell(item)}</td>`)}
    <td>${timeTag(item.createdAt, "relative")}</td>
    <td>${ended ? html`${badge(options.endedWord)} ${timeTag(ended, "relative")}` : badge("active", "ok")}</td>
    <td class="actions">${ended ? null : html`<a class="button small danger-outline" href="${options.end.path(item.name)}">${options.end.label}</a>`}</td>
  </tr>`;
  })}</tbody>
</table></div></section>`;
}

export function orNone(value: string | null | undefined): Markup | string {
  return value ?? html`<span class="muted">—</span>`;
}

// What the grants and reviewers pages share: the one-time token panel, and the confirmation step before
// revoking or removing a credential (a page of its own, so it works without JavaScript).
import type { Caller } from "../http/callers.ts";
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

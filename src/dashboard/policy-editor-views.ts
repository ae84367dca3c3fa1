// The policy editor's form: the text, the version it started from, the preview it passed, and the buttons.
import type { Caller } from "../http/callers.ts";
import { DRY_RUN_MAX_LIMIT } from "../policies/index.ts";
import { html, type Markup } from "./html.ts";
import { csrfField } from "./layout.ts";
import { EDITOR_ID } from "./policy-check-views.ts";

export interface EditForm {
  content: string;
  /** The newest version when the edit started; a save after someone else's is refused. */
  expectedVersion: number | null;
  /** SHA-256 of the text whose diff and dry run were shown (only such a text is saved). */
  previewed: string | null;
  comment: string;
  /** How many recent audited calls the dry run replays. */
  limit: number;
  /** The grant the policy page showed, to return to after saving. */
  grant: string | null;
}

export function editorForm(options: { caller: Caller; action: string; form: EditForm; hasProblems: boolean }): Markup {
  const { caller, form } = options;
  const isAdmin = caller.role === "admin";
  // The parser drops one newline right after <textarea>: writing one keeps a text that starts with a newline intact.
  return html`<form method="post" action="${options.action}" class="panel editor" id="policy-editor" data-policy-editor>
  ${csrfField(caller)}
  <input type="hidden" name="expectedVersion" value="${form.expectedVersion ?? ""}">
  <input type="hidden" name="previewed" value="${form.previewed ?? ""}">
  <input type="hidden" name="grant" value="${form.grant ?? ""}">
  <label for="${EDITOR_ID}" class="editor-label">Policy (JSON)</label>
  <textarea id="${EDITOR_ID}" name="content" class="code-editor" rows="18" spellcheck="false" autocomplete="off" autocapitalize="off"${options.hasProblems ? html` aria-invalid="true" aria-describedby="policy-problems"` : null}>
${form.content}</textarea>
  <div class="editor-options">
    <div class="field"><label for="field-limit">Dry run over the last</label><div class="inline-input"><input id="field-limit" name="limit" type="number" min="1" max="${DRY_RUN_MAX_LIMIT}" value="${form.limit}"> <span>audited calls</span></div></div>
    ${isAdmin ? html`<div class="field grow"><label for="field-comment">Comment <span class="muted">(optional)</span></label><input id="field-comment" name="comment" value="${form.comment}" placeholder="what this change is for" autocomplete="off"></div>` : null}
  </div>
  <div class="editor-actions">
    <button type="submit" name="action" value="validate" class="button secondary">Validate</button>
    <button type="submit" name="action" value="preview" class="button secondary">Preview diff and dry run</button>
    ${isAdmin ? html`<button type="submit" name="action" value="save" class="button approve">Save</button>` : html`<span class="hint">Only the admin can save; you can validate and preview.</span>`}
  </div>
  ${isAdmin ? html`<p class="hint">Save writes the file atomically and this gateway runs it at once. A text you have not previewed is previewed first.</p>` : null}
</form>`;
}

export function editorHelp(limit: number): Markup {
  return html`<section class="panel check editor-help">
  <h2>Before you save</h2>
  <ul class="consequences">
    <li><strong>Validate</strong> lists every problem with its JSON Pointer and its line and column in the text.</li>
    <li><strong>Preview</strong> shows the diff against the newest version and a dry run: what your text would have decided for the last ${limit} audited calls, with every changed decision.</li>
    <li><strong>Save</strong> keeps the previous versions: a bad edit can be rolled back from the policy page.</li>
  </ul>
</section>`;
}

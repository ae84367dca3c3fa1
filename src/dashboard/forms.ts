// Form fields with their label, hint and error tied together for screen readers, and zod issues per field.
import type { z } from "zod";
import { html, type Markup } from "./html.ts";

export type FieldErrors = Record<string, string>;

export interface FieldSpec {
  name: string;
  label: string;
  value?: string;
  hint?: string;
  error?: string;
  placeholder?: string;
  isRequired?: boolean;
  /** Renders a textarea with this many rows instead of an input. */
  rows?: number;
}

export function field(spec: FieldSpec): Markup {
  const id = `field-${spec.name}`;
  const described = [spec.hint ? `${id}-hint` : null, spec.error ? `${id}-error` : null].filter(Boolean).join(" ");
  const common = html` id="${id}" name="${spec.name}"${spec.placeholder ? html` placeholder="${spec.placeholder}"` : null}${spec.isRequired ? html` required` : null}${described ? html` aria-describedby="${described}"` : null}${spec.error ? html` aria-invalid="true"` : null} autocomplete="off"`;
  const control = spec.rows ? html`<textarea${common} rows="${spec.rows}">${spec.value ?? ""}</textarea>` : html`<input${common} value="${spec.value ?? ""}">`;
  return html`<div class="field${spec.error ? " has-error" : ""}">
  <label for="${id}">${spec.label}${spec.isRequired ? null : html` <span class="muted">(optional)</span>`}</label>
  ${control}
  ${spec.hint ? html`<p class="field-hint" id="${id}-hint">${spec.hint}</p>` : null}
  ${spec.error ? html`<p class="field-error" id="${id}-error">${spec.error}</p>` : null}
</div>`;
}

/** The first problem of each field ("" for the form as a whole). */
export function issuesByField(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "");
    errors[key] ??= issue.message;
  }
  return errors;
}

/** A form's text field: trimmed, or undefined when left empty. */
export function formText(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

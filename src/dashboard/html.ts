// Server-rendered HTML without a template engine: a tagged template that escapes every interpolated value
// unless it is already markup (built by `html` itself, or marked with `raw`). Escaping is the default, so a
// tool name or a redacted argument can never inject markup into a reviewer's page.
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export class Markup {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type Renderable = Markup | string | number | boolean | null | undefined | readonly Renderable[];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: Renderable): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Renderable[]): Markup {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Markup(out);
}

/** Markup we wrote ourselves (never user data). */
export function raw(text: string): Markup {
  return new Markup(text);
}

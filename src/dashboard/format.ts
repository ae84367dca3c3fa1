// Small pieces every page shows the same way: times, durations, status badges, pretty JSON, people.
// Times are rendered in UTC on the server; dashboard.js rewrites them to the reader's local time.
import { parseVoterId } from "../approvals/index.ts";
import { formatDuration as formatAuditDuration } from "../audit/index.ts";
import { html, type Markup } from "./html.ts";

export function isoTime(at: Date): string {
  return at.toISOString();
}

/**
 * "2025-01-31 14:03:12 UTC", in a <time> element the browser script localises. "precise" keeps the
 * milliseconds: the steps of one call are often less than a second apart.
 */
export function timeTag(when: Date | string | null, style: "datetime" | "short" | "relative" | "precise" = "datetime"): Markup {
  if (!when) return html`<span class="muted">—</span>`;
  const at = typeof when === "string" ? new Date(when) : when;
  const text = at.toISOString().replace("T", " ").replace(style === "precise" ? /Z$/ : /\.\d{3}Z$/, " UTC");
  return html`<time datetime="${at.toISOString()}" data-format="${style}" title="${at.toISOString()}">${text}</time>`;
}

export function formatDuration(ms: number | null): string {
  return ms === null ? "—" : formatAuditDuration(ms);
}

/** Time left until `at`, as the server sees it; the script keeps it counting down. */
export function timeLeft(at: Date, now: Date): Markup {
  const ms = at.getTime() - now.getTime();
  const text = ms <= 0 ? "deadline passed" : `${formatDuration(Math.floor(ms / 1000) * 1000)} left`;
  return html`<span class="countdown${ms < 60_000 ? " is-urgent" : ""}" data-expires="${at.toISOString()}">${text}</span>`;
}

type Tone = "ok" | "bad" | "wait" | "info" | "off" | "warn";

const TONES: Record<string, Tone> = {
  pending: "wait",
  pending_approval: "wait",
  approved: "info",
  executing: "info",
  attached: "info",
  replayed: "info",
  forwarded: "ok",
  succeeded: "ok",
  allow: "ok",
  decided: "ok",
  loaded: "ok",
  ready: "ok",
  denied: "bad",
  deny: "bad",
  refused: "bad",
  failed: "bad",
  rate_limited: "bad",
  error: "bad",
  require_approval: "wait",
  outcome_unknown: "warn",
  connecting: "warn",
  reconnecting: "warn",
  expired: "off",
  cancelled: "off",
  hide: "off",
  closed: "off",
  revoked: "off",
  removed: "off",
};

const LABELS: Record<string, string> = {
  pending_approval: "pending approval",
  require_approval: "require approval",
  rate_limited: "rate limited",
  outcome_unknown: "outcome unknown",
};

/** A status or decision as a coloured badge; the word is always there (colour is never the only signal). */
export function badge(value: string, tone?: Tone): Markup {
  return html`<span class="badge tone-${tone ?? TONES[value] ?? "info"}">${LABELS[value] ?? value}</span>`;
}

/** Redacted arguments or a result, indented, as text (escaped by `html`). */
export function prettyJson(value: unknown): string {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A JSON Pointer (a policy rule) that may wrap at its slashes. */
export function pointer(path: string): Markup {
  return html`<code class="rule">${path.split("/").map((part, i) => (i === 0 ? part : html`/<wbr>${part}`))}</code>`;
}

/** A person id as people read it on the dashboard: "admin", "alice (reviewer)", "Slack U0ALICE", "bo@example.com (single sign-on)". */
export function personName(id: string | null): string {
  if (!id) return "—";
  const person = parseVoterId(id);
  switch (person.kind) {
    case "admin":
      return "admin";
    case "slack":
      return `Slack ${person.userId}`;
    case "reviewer":
      return `${person.name} (reviewer)`;
    case "oidc":
      return `${person.identity} (single sign-on)`;
    case "other": {
      const gateway = /^gateway:([0-9a-f]{8})[0-9a-f-]*$/.exec(person.text);
      return gateway ? `gateway ${gateway[1]}` : person.text;
    }
  }
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

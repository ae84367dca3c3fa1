// What the policy pages show about an upstream's policy: its state (loaded, last edit rejected, upstream
// down), and each tool's effective decision for a grant, with the rule that decides and the limits and
// approval settings that apply.
import type { EffectiveDecision, EffectiveKind } from "../policy/index.ts";
import type { PolicyStatus } from "../policies/index.ts";
import type { UpstreamStatus } from "../proxy/index.ts";
import { badge, plural, pointer } from "./format.ts";
import { html, type Markup } from "./html.ts";

export function policyPath(upstream: string, rest = ""): string {
  return `/policies/${encodeURIComponent(upstream)}${rest}`;
}

/** The address with the grant the policy page shows decisions for, so a save or rollback comes back to it. */
export function withGrant(path: string, grant: string | null | undefined): string {
  return grant ? `${path}?grant=${encodeURIComponent(grant)}` : path;
}

/** "Policies ›" or "Policies › smartlead ›" above a policy page's title. */
export function breadcrumb(upstream: string | null, grant: string | null = null): Markup {
  return html`<p class="breadcrumb"><a href="/policies">Policies</a> ›${upstream ? html` <a href="${withGrant(policyPath(upstream), grant)}">${upstream}</a> ›` : null}</p>`;
}

const KIND_ORDER: EffectiveKind[] = ["allow", "require_approval", "conditional", "deny", "hide"];
const KIND_LABELS: Record<EffectiveKind, string> = {
  allow: "allow",
  require_approval: "require approval",
  conditional: "depends on the call",
  deny: "deny",
  hide: "hidden",
};

export function isEffectiveKind(value: string): value is EffectiveKind {
  return (KIND_ORDER as string[]).includes(value);
}

export function decisionBadge(kind: string): Markup {
  if (kind === "conditional") return badge("depends on the call", "info");
  if (kind === "hide") return badge("hidden", "off");
  return badge(kind);
}

export function connectionBadge(state: UpstreamStatus["state"] | null): Markup {
  if (state === null) return badge("not configured", "off");
  const tone = state === "ready" ? "ok" : state === "down" ? "bad" : state === "closed" ? "off" : "warn";
  return badge(state, tone);
}

/** The policy's state in a few words, and the problems of the last rejected edit. */
export function policyStateNotice(status: PolicyStatus): Markup | null {
  if (status.errors) {
    const what = status.isLoaded
      ? html`<strong>The last edit of the file was rejected.</strong> The previous version stays in force until a valid one is saved.`
      : html`<strong>No valid policy is loaded:</strong> every call to this upstream is denied.`;
    return html`<div class="notice error" role="alert" data-policy-state="rejected">${what}<ul class="issues">${status.errors.map((e) => html`<li><code>${e}</code></li>`)}</ul></div>`;
  }
  if (!status.isLoaded) return html`<div class="notice error" role="alert" data-policy-state="not-loaded"><strong>No policy is loaded:</strong> every call to this upstream is denied.</div>`;
  if (!status.isCurrent) return html`<div class="notice info" role="status" data-policy-state="behind">The policy in force is not the newest recorded version yet; this gateway loads it within seconds.</div>`;
  return null;
}

/** The badge for the policies list: loaded, loaded with a rejected edit, or not loaded. */
export function policyBadge(status: Pick<PolicyStatus, "isLoaded" | "errors">): Markup {
  if (status.errors) return badge(status.isLoaded ? "loaded" : "error", status.isLoaded ? "warn" : "bad");
  return status.isLoaded ? badge("loaded") : badge("not loaded", "bad");
}

/** "116 tools: 40 allow · 8 require approval · …", each count a link that filters the table. */
export function decisionCounts(tools: EffectiveDecision[], link: (kind: EffectiveKind | null) => string, active: EffectiveKind | null): Markup {
  const counts = new Map<EffectiveKind, number>();
  for (const tool of tools) counts.set(tool.decision, (counts.get(tool.decision) ?? 0) + 1);
  const chips = KIND_ORDER.filter((kind) => counts.has(kind)).map(
    (kind) => html`<a class="chip${active === kind ? " is-active" : ""}" href="${link(kind)}">${KIND_LABELS[kind]} <strong>${counts.get(kind) ?? 0}</strong></a>`,
  );
  return html`<div class="ranges decision-counts"><a class="chip${active === null ? " is-active" : ""}" href="${link(null)}">all ${plural(tools.length, "tool")}</a>${chips}</div>`;
}

export function effectiveTable(tools: EffectiveDecision[], hasGrant: boolean): Markup {
  return html`<div class="table-wrap"><table class="data compact effective-table">
  <thead><tr><th scope="col">Tool</th><th scope="col">Decision</th><th scope="col">Decided by</th><th scope="col">What applies</th></tr></thead>
  <tbody>${tools.map((tool) => effectiveRow(tool, hasGrant))}</tbody>
</table></div>`;
}

function effectiveRow(tool: EffectiveDecision, hasGrant: boolean): Markup {
  const notes = [
    tool.isOffered ? null : "the upstream does not offer this tool",
    hasGrant && tool.isListed === false && tool.decision !== "hide" ? "not in this grant's tools/list" : null,
  ].filter((note): note is string => note !== null);
  return html`<tr data-tool="${tool.tool}" data-decision="${tool.decision}">
    <td><code>${tool.tool}</code>${notes.map((note) => html`<div class="cell-note">${note}</div>`)}</td>
    <td>${decisionBadge(tool.decision)}</td>
    <td>${tool.rule ? pointer(tool.rule) : html`<span class="muted">—</span>`}</td>
    <td>${details(tool)}</td>
  </tr>`;
}

function details(tool: EffectiveDecision): Markup {
  const parts: Markup[] = [];
  // An allow's reason only repeats the rule; a deny's is what the agent is told.
  if (tool.reason && tool.decision !== "allow") parts.push(html`<div>${tool.reason}</div>`);
  if (tool.conditions.length > 0) {
    parts.push(html`<ul class="conditions">${tool.conditions.map((c) => html`<li>${c.summary} <span class="muted">(${pointer(c.rule)})</span></li>`)}<li>otherwise ${decisionBadge(tool.otherwise ?? "allow")}</li></ul>`);
  }
  if (tool.approval) {
    const a = tool.approval;
    const from = a.approvers.length > 0 ? html` from ${a.approvers.join(", ")}` : null;
    parts.push(html`<div class="cell-note">Approval: ${plural(a.minApprovals, "person", "people")}${from} within ${a.timeout}; the agent ${a.wait === "hold" ? "waits" : "gets a ticket"}</div>`);
  }
  if (tool.limits.length > 0) {
    const limits = tool.limits.map((l, i) => html`${i ? " · " : null}<span title="${l.rule}">${l.max}/${l.window} per ${l.scope} (${l.counter})</span>`);
    parts.push(html`<div class="cell-note limit">Rate limits: ${limits}</div>`);
  }
  return parts.length > 0 ? html`${parts}` : html`<span class="muted">—</span>`;
}

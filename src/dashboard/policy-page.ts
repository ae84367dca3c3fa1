// One upstream's policy: its state, each tool's effective decision for a chosen grant, and its versions.
// Without a chosen grant the page shows the policy for any grant: a decision that depends on the grant's
// owner or labels is shown as "depends on the call" with the condition, rather than guessed for one agent.
import { Router, type Request } from "express";
import type { Grant, GrantStore } from "../grants/index.ts";
import type { Caller } from "../http/callers.ts";
import type { EffectiveKind } from "../policy/index.ts";
import { isPolicyRefusal, type EffectiveReport, type PolicyAdmin, type PolicyContent } from "../policies/index.ts";
import type { UpstreamConnection } from "../proxy/index.ts";
import { html, type Markup } from "./html.ts";
import { emptyState, pageHeader, sendPage } from "./layout.ts";
import { notFound } from "./not-found.ts";
import { versionsTable } from "./policy-versions.ts";
import { breadcrumb, connectionBadge, decisionCounts, effectiveTable, isEffectiveKind, policyPath, policyStateNotice, withGrant } from "./policy-views.ts";

export interface PolicyPageDeps {
  policyAdmin: PolicyAdmin;
  grants: GrantStore;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
}

interface TableFilter {
  grant: string | null;
  tool: string | null;
  decision: EffectiveKind | null;
}

export function createPolicyPage(deps: PolicyPageDeps): Router {
  const admin = deps.policyAdmin;
  const router = Router();

  router.get("/policies/:upstream", async (req, res) => {
    const { upstream } = req.params;
    const content = await admin.get(upstream);
    if (isPolicyRefusal(content)) return notFound(req, res, content.detail);
    const filter = readFilter(req);
    let effective = await admin.effective(upstream, filter.grant);
    let grantProblem: string | null = null;
    if (isPolicyRefusal(effective)) {
      grantProblem = `${effective.detail}: showing the decisions for any grant.`;
      filter.grant = null;
      effective = await admin.effective(upstream, null);
    }
    if (isPolicyRefusal(effective)) return notFound(req, res, effective.detail);
    const [history, grants] = await Promise.all([admin.history(upstream), deps.grants.list()]);
    const caller = res.locals.caller as Caller;
    const edit = html`<a class="button" href="${withGrant(policyPath(upstream, "/edit"), filter.grant)}">${caller.role === "admin" ? "Edit policy" : "Try an edit"}</a>`;
    sendPage(req, res, {
      title: `${upstream} policy`,
      section: "policies",
      body: html`${breadcrumb(null)}
${pageHeader(`${upstream}`, html`Policy file <code class="path">${content.file}</code>`, edit)}
${policyStateNotice(content)}
${factStrip(content, deps.upstreams.get(upstream) ?? null)}
<section class="policy-section" aria-labelledby="effective-title">
  <h2 id="effective-title" class="section-title">Effective decisions</h2>
  ${grantProblem ? html`<div class="notice error" role="alert">${grantProblem}</div>` : null}
  ${effective.toolsError ? html`<div class="notice error" role="alert" data-tools-error>The upstream's tools could not be listed (${effective.toolsError}): only the tools the policy names are shown.</div>` : null}
  ${filterForm(filter, grants)}
  ${effectiveResults(upstream, effective, filter)}
</section>
<section class="policy-section" aria-labelledby="versions-title">
  <h2 id="versions-title" class="section-title">Versions</h2>
  ${isPolicyRefusal(history) ? null : versionsTable({ upstream, versions: history.versions, inForceSha: content.sha256, caller, grant: filter.grant })}
</section>`,
    });
  });

  return router;
}

function readFilter(req: Request): TableFilter {
  const text = (name: string) => {
    const value = req.query[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
  };
  const decision = text("decision");
  return { grant: text("grant"), tool: text("tool"), decision: decision && isEffectiveKind(decision) ? decision : null };
}

function factStrip(content: PolicyContent, connection: UpstreamConnection | null): Markup {
  const status = connection?.status() ?? null;
  return html`<dl class="fact-strip">
  <div><dt>Policy</dt><dd>${content.isLoaded ? html`<span class="badge tone-ok">loaded</span>` : html`<span class="badge tone-bad">not loaded</span>`}${content.version !== null ? html` version ${content.version}` : null}</dd></div>
  <div><dt>Upstream</dt><dd>${connectionBadge(status?.state ?? null)}${status?.lastError ? html`<div class="cell-note error-text">${status.lastError}</div>` : null}</dd></div>
  <div><dt>Tools offered</dt><dd>${status ? status.tools : "—"}</dd></div>
  <div><dt>SHA-256 in force</dt><dd><code class="hash-short" title="${content.sha256 ?? ""}">${content.sha256 ? content.sha256.slice(0, 12) : "—"}</code></dd></div>
</dl>`;
}

function filterForm(filter: TableFilter, grants: Grant[]): Markup {
  const sorted = [...grants].sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || a.name.localeCompare(b.name));
  return html`<form method="get" class="filters policy-filters" data-auto-submit>
  <div class="field"><label for="grant-picker">Grant</label>
    <select id="grant-picker" name="grant">
      <option value=""${filter.grant === null ? html` selected` : null}>Any grant (grant conditions left open)</option>
      ${sorted.map((g) => html`<option value="${g.name}"${g.name === filter.grant ? html` selected` : null}>${g.name}${g.revokedAt ? " (revoked)" : ""}</option>`)}
    </select>
  </div>
  <div class="field"><label for="tool-filter">Tool contains</label><input id="tool-filter" name="tool" value="${filter.tool ?? ""}" placeholder="campaign" autocomplete="off"></div>
  ${filter.decision ? html`<input type="hidden" name="decision" value="${filter.decision}">` : null}
  <div class="filter-actions"><button type="submit" class="button secondary">Show</button></div>
</form>`;
}

function effectiveResults(upstream: string, report: EffectiveReport, filter: TableFilter): Markup {
  const byName = filter.tool ? report.tools.filter((t) => t.tool.toLowerCase().includes(filter.tool!.toLowerCase())) : report.tools;
  const shown = filter.decision ? byName.filter((t) => t.decision === filter.decision) : byName;
  const link = (decision: EffectiveKind | null) => {
    const query = new URLSearchParams();
    if (filter.grant) query.set("grant", filter.grant);
    if (filter.tool) query.set("tool", filter.tool);
    if (decision) query.set("decision", decision);
    return `${policyPath(upstream)}?${query.toString()}#effective-title`;
  };
  const grant = report.grant;
  const who = grant
    ? html`For grant <strong>${grant.name}</strong>${grant.owner ? html` (owner ${grant.owner})` : null}${Object.keys(grant.labels).length ? html` with labels ${Object.entries(grant.labels).map(([k, v]) => html`<span class="tag">${k}=${v}</span> `)}` : null}${grant.isRevoked ? html` — revoked: its token no longer works` : null}.`
    : html`For any grant: where a decision depends on the grant's owner or labels, the condition is listed. Pick a grant to resolve it.`;
  return html`<p class="result-count" data-effective-for="${grant?.name ?? ""}">${who}</p>
${decisionCounts(byName, link, filter.decision)}
${shown.length === 0 ? emptyState("No tool matches.", "Change the filter to see more tools.") : effectiveTable(shown, grant !== null)}`;
}

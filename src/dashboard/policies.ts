// Policies: each upstream with its connection state and whether its policy file is loaded (and, when the last
// edit was rejected, why). A policy with errors keeps its last good version running.
import { Router } from "express";
import type { PolicySource, UpstreamConnection } from "../proxy/index.ts";
import { badge } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { emptyState, pageHeader, sendPage } from "./layout.ts";

export interface PolicyPagesDeps {
  policies: PolicySource;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
}

export interface UpstreamPolicyRow {
  upstream: string;
  state: string | null;
  tools: number | null;
  lastError: string | null;
  file: string | null;
  isLoaded: boolean;
  errors: string[] | null;
}

/** One row per upstream (and per policy without a running upstream), as the policies page lists them. */
export function upstreamPolicyRows(deps: PolicyPagesDeps): UpstreamPolicyRow[] {
  const policies = new Map(deps.policies.status().map((p) => [p.upstream, p]));
  const names = [...new Set([...deps.upstreams.keys(), ...policies.keys()])].sort();
  return names.map((name) => {
    const status = deps.upstreams.get(name)?.status();
    const policy = policies.get(name);
    return { upstream: name, state: status?.state ?? null, tools: status?.tools ?? null, lastError: status?.lastError ?? null, file: policy?.file ?? null, isLoaded: policy?.isLoaded ?? false, errors: policy?.errors ?? null };
  });
}

export function createPolicyPages(deps: PolicyPagesDeps): Router {
  const router = Router();
  router.get("/policies", (req, res) => {
    const rows = upstreamPolicyRows(deps);
    sendPage(req, res, {
      title: "Policies",
      section: "policies",
      body: html`${pageHeader("Policies", "Each upstream's policy decides, per tool, whether a call is allowed, denied, hidden or held for approval. Files are reloaded the moment they change.")}
${rows.length === 0 ? emptyState("No upstreams.", "Add upstreams to gatehouse.json.") : policyTable(rows)}`,
    });
  });
  return router;
}

function policyTable(rows: UpstreamPolicyRow[]): Markup {
  return html`<div class="table-wrap"><table class="data">
  <thead><tr><th scope="col">Upstream</th><th scope="col">Connection</th><th scope="col" class="num">Tools</th><th scope="col">Policy file</th><th scope="col">Policy</th></tr></thead>
  <tbody>${rows.map(
    (r) => html`<tr>
    <td><strong>${r.upstream}</strong></td>
    <td>${r.state ? badge(r.state) : html`<span class="muted">—</span>`}${r.lastError ? html`<div class="cell-note error-text">${r.lastError}</div>` : null}</td>
    <td class="num">${r.tools ?? "—"}</td>
    <td><code class="path">${r.file ?? "—"}</code></td>
    <td>${policyState(r)}</td>
  </tr>`,
  )}</tbody>
</table></div>`;
}

function policyState(row: UpstreamPolicyRow): Markup {
  if (!row.errors) return row.isLoaded ? badge("loaded") : badge("not loaded", "bad");
  const summary = row.isLoaded ? "last edit rejected; the previous version is in force" : "no valid version: every call to this upstream is denied";
  return html`${badge(row.isLoaded ? "loaded" : "error", row.isLoaded ? "warn" : "bad")} <span class="cell-note">${summary}</span>
<ul class="issues">${row.errors.map((e) => html`<li><code>${e}</code></li>`)}</ul>`;
}

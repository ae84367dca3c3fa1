// Policies: each upstream with its connection state and its policy (loaded, version, or why the last edit was
// rejected; a policy with errors keeps its last good version running), and one page per upstream with the
// effective decisions, the editor and the versions. Reviewers read and try out; saves and rollbacks are the
// admin's.
import { Router } from "express";
import type { GrantStore } from "../grants/index.ts";
import type { PolicyAdmin, PolicyStatus } from "../policies/index.ts";
import type { UpstreamConnection } from "../proxy/index.ts";
import { html, type Markup } from "./html.ts";
import { emptyState, pageHeader, sendPage } from "./layout.ts";
import { createPolicyEditor } from "./policy-editor.ts";
import { createPolicyPage } from "./policy-page.ts";
import { createPolicyVersionPages } from "./policy-versions.ts";
import { connectionBadge, policyBadge, policyPath } from "./policy-views.ts";

export interface PolicyPagesDeps {
  policyAdmin: PolicyAdmin;
  grants: GrantStore;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
}

export function createPolicyPages(deps: PolicyPagesDeps): Router {
  const router = Router();
  router.get("/policies", async (req, res) => {
    const { policies } = await deps.policyAdmin.list();
    sendPage(req, res, {
      title: "Policies",
      section: "policies",
      body: html`${pageHeader("Policies", "Each upstream's policy decides, per tool, whether a call is allowed, denied, hidden or held for approval. Open one to see its decisions for a grant, edit it with a dry run, or roll it back.")}
${policies.length === 0 ? emptyState("No upstreams.", "Add upstreams to gatehouse.json.") : policyTable(policies, deps.upstreams)}`,
    });
  });
  router.use(createPolicyPage(deps));
  router.use(createPolicyEditor(deps));
  router.use(createPolicyVersionPages(deps));
  return router;
}

function policyTable(rows: PolicyStatus[], upstreams: PolicyPagesDeps["upstreams"]): Markup {
  return html`<div class="table-wrap"><table class="data">
  <thead><tr><th scope="col">Upstream</th><th scope="col">Connection</th><th scope="col" class="num">Tools</th><th scope="col">Policy file</th><th scope="col" class="num">Version</th><th scope="col">Policy</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${rows.map((row) => {
    const status = upstreams.get(row.upstream)?.status() ?? null;
    return html`<tr>
    <td><a href="${policyPath(row.upstream)}"><strong>${row.upstream}</strong></a></td>
    <td>${connectionBadge(status?.state ?? null)}${status?.lastError ? html`<div class="cell-note error-text">${status.lastError}</div>` : null}</td>
    <td class="num">${status?.tools ?? "—"}</td>
    <td><code class="path">${row.file}</code></td>
    <td class="num">${row.version ?? "—"}</td>
    <td>${policyState(row)}</td>
    <td class="actions"><a class="button small secondary" href="${policyPath(row.upstream)}">Open</a></td>
  </tr>`;
  })}</tbody>
</table></div>`;
}

function policyState(row: PolicyStatus): Markup {
  if (!row.errors) return policyBadge(row);
  const summary = row.isLoaded ? "last edit rejected; the previous version is in force" : "no valid version: every call to this upstream is denied";
  return html`${policyBadge(row)} <span class="cell-note">${summary}</span>
<ul class="issues">${row.errors.map((e) => html`<li><code>${e}</code></li>`)}</ul>`;
}

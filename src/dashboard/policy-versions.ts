// An upstream's policy versions: the list on the policy page, one version's page (its text, and what rolling
// back to it would change: the diff and a dry run over recent calls), and the rollback itself, which is the
// admin's and is recorded as a new version. The version page is the confirmation step, so it works without
// JavaScript.
import { Router } from "express";
import type { Caller } from "../http/callers.ts";
import { isPolicyRefusal, type PolicyAdmin, type PolicyVersion } from "../policies/index.ts";
import { redirectWithFlash } from "./flash.ts";
import { badge, personName, timeTag } from "./format.ts";
import { field, formText } from "./forms.ts";
import { html, type Markup } from "./html.ts";
import { csrfField, pageHeader, sendPage } from "./layout.ts";
import { adminsOnly, notFound } from "./not-found.ts";
import { diffView, dryRunView } from "./policy-check-views.ts";
import { breadcrumb, policyPath, withGrant } from "./policy-views.ts";

export interface PolicyVersionPagesDeps {
  policyAdmin: PolicyAdmin;
}

export function createPolicyVersionPages(deps: PolicyVersionPagesDeps): Router {
  const admin = deps.policyAdmin;
  const router = Router();

  router.get("/policies/:upstream/versions/:version", async (req, res) => {
    const { upstream } = req.params;
    const number = Number(req.params.version);
    const found = Number.isInteger(number) && number > 0 ? await admin.version(upstream, number) : null;
    if (!found || isPolicyRefusal(found)) return notFound(req, res, found?.detail ?? `There is no policy version “${req.params.version}”.`);
    const history = await admin.history(upstream);
    const newest = isPolicyRefusal(history) ? null : (history.versions[0] ?? null);
    const isNewest = newest?.version === found.version;
    const [diff, dryRun] = isNewest ? [null, null] : await Promise.all([admin.diff(upstream, found.content), admin.dryRun(upstream, found.content)]);
    const caller = res.locals.caller as Caller;
    const grant = typeof req.query.grant === "string" ? req.query.grant : null;
    sendPage(req, res, {
      title: `${upstream} policy version ${found.version}`,
      section: "policies",
      body: html`${breadcrumb(upstream, grant)}
${pageHeader(`Version ${found.version} of ${upstream}'s policy`, versionLine(found), html`<a class="button secondary" href="${withGrant(policyPath(upstream), grant)}">Back to the policy</a>`)}
${isNewest ? html`<p class="notice info" role="status">This is the newest version.</p>` : rollbackPanel({ caller, upstream, version: found.version, newest, grant })}
<div class="check-grid">
  ${diff && !isPolicyRefusal(diff) ? diffView(diff, { title: `What rolling back to version ${found.version} changes` }) : null}
  ${dryRun && !isPolicyRefusal(dryRun) ? dryRunView(dryRun, `Decisions rolling back would change`) : null}
</div>
<section class="panel"><h2>Text of version ${found.version}</h2><pre class="json policy-text">${found.content}</pre></section>`,
    });
  });

  router.post("/policies/:upstream/versions/:version/rollback", async (req, res) => {
    const caller = res.locals.caller as Caller;
    if (caller.role !== "admin") return adminsOnly(req, res, "policies", "Policy saves and rollbacks");
    const { upstream } = req.params;
    const number = Number(req.params.version);
    const expected = Number(formText(req.body, "expectedVersion"));
    const grant = formText(req.body, "grant");
    const back = withGrant(policyPath(upstream, `/versions/${encodeURIComponent(req.params.version)}`), grant);
    if (!Number.isInteger(number) || number < 1) return notFound(req, res, `There is no policy version “${req.params.version}”.`);
    const result = await admin.rollback(upstream, number, { by: caller.person, comment: formText(req.body, "comment"), expectedVersion: Number.isInteger(expected) ? expected : undefined });
    if (!isPolicyRefusal(result)) {
      const text = result.isUnchanged
        ? `Version ${number}'s text is already the newest version (${result.version.version}); nothing changed.`
        : `Rolled back ${upstream} to the text of version ${number}, saved as version ${result.version.version}. It is in force now.`;
      return redirectWithFlash(res, withGrant(policyPath(upstream), grant), { kind: "success", text });
    }
    if (result.code === "not_found") return notFound(req, res, result.detail);
    const why = result.code === "version_conflict" ? `Someone saved version ${result.currentVersion} meanwhile, so nothing was rolled back. Check what rolling back changes now, then confirm again.` : result.detail;
    redirectWithFlash(res, back, { kind: "error", text: why });
  });

  return router;
}

function versionLine(version: PolicyVersion): Markup {
  return html`Saved ${timeTag(version.createdAt)} by ${personName(version.createdBy)} · ${sourceText(version)}${version.comment ? html` · “${version.comment}”` : null}`;
}

function rollbackPanel(options: { caller: Caller; upstream: string; version: number; newest: PolicyVersion | null; grant: string | null }): Markup {
  const { caller, upstream, version, newest } = options;
  if (caller.role !== "admin") return html`<p class="notice info" role="status">Only the admin can roll back a policy. The newest version is ${newest?.version ?? "—"}.</p>`;
  return html`<section class="panel confirm rollback" aria-labelledby="rollback-title">
  <h2 id="rollback-title">Roll back to version ${version}?</h2>
  <ul class="consequences">
    <li>Its text is saved as a new version (the history keeps every version), written to the policy file and in force at once.</li>
    <li>The changes and the decisions listed below take effect for the next calls.</li>
  </ul>
  <form method="post" action="${policyPath(upstream, `/versions/${version}/rollback`)}" class="stacked">
    ${csrfField(caller)}
    <input type="hidden" name="expectedVersion" value="${newest?.version ?? ""}">
    <input type="hidden" name="grant" value="${options.grant ?? ""}">
    ${field({ name: "comment", label: "Comment", placeholder: "why you roll back", hint: "Kept with the new version." })}
    <div class="confirm-actions"><button type="submit" class="button deny">Roll back to version ${version}</button><a class="button secondary" href="${withGrant(policyPath(upstream), options.grant)}">Cancel</a></div>
  </form>
</section>`;
}

function sourceText(version: PolicyVersion): string {
  if (version.source === "rollback") return `rollback to version ${version.restoredFrom ?? "?"}`;
  if (version.source === "file") return "found in the file";
  return `saved from the ${version.source === "cli" ? "CLI" : version.source === "api" ? "API" : version.source}`;
}

/** The versions on the policy page, newest first; the one in force is marked. */
export function versionsTable(options: { upstream: string; versions: PolicyVersion[]; inForceSha: string | null; caller: Caller; grant: string | null }): Markup {
  const { upstream, versions } = options;
  const pageOf = (version: number) => withGrant(policyPath(upstream, `/versions/${version}`), options.grant);
  if (versions.length === 0) return html`<p class="muted">No version recorded yet.</p>`;
  const newest = versions[0]!.version;
  // A rollback repeats an older text: the newest version with the loaded text is the one in force.
  const inForce = versions.find((v) => v.sha256 === options.inForceSha)?.version ?? null;
  return html`<div class="table-wrap"><table class="data compact versions-table">
  <thead><tr><th scope="col" class="num">Version</th><th scope="col">Saved</th><th scope="col">By</th><th scope="col">How</th><th scope="col">Comment</th><th scope="col">SHA-256</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${versions.map(
    (v) => html`<tr data-version="${v.version}">
    <td class="num"><a href="${pageOf(v.version)}">${v.version}</a>${v.version === inForce ? html` ${badge("in force", "ok")}` : null}</td>
    <td>${timeTag(v.createdAt, "relative")}</td>
    <td>${personName(v.createdBy)}</td>
    <td>${sourceText(v)}</td>
    <td>${v.comment ?? html`<span class="muted">—</span>`}</td>
    <td><code class="hash-short" title="${v.sha256}">${v.sha256.slice(0, 12)}</code></td>
    <td class="actions">${
      v.version === newest
        ? null
        : options.caller.role === "admin"
          ? html`<a class="button small danger-outline" href="${pageOf(v.version)}">Roll back…</a>`
          : html`<a class="button small secondary" href="${pageOf(v.version)}">View</a>`
    }</td>
  </tr>`,
  )}</tbody>
</table></div>`;
}

// Grants (agent credentials), for the admin: create one (its token shown once), list them, revoke one after a
// confirmation. Creating and revoking go through the same functions as the admin API, audited as this person.
import { Router, type Request, type Response } from "express";
import type { ApprovalCore } from "../approvals/index.ts";
import type { AuditWriter } from "../audit/index.ts";
import { createGrant, GrantInput, revokeGrant, type Grant, type GrantStore } from "../grants/index.ts";
import type { Caller } from "../http/callers.ts";
import { confirmPanel, credentialTable, orNone, tokenPanel } from "./credential-views.ts";
import { redirectWithFlash } from "./flash.ts";
import { plural } from "./format.ts";
import { field, formText, issuesByField, type FieldErrors } from "./forms.ts";
import { html, type Markup } from "./html.ts";
import { csrfField, emptyState, pageHeader, sendPage } from "./layout.ts";
import { adminsOnly, notFound } from "./not-found.ts";

export interface GrantPagesDeps {
  grants: GrantStore;
  approvals: ApprovalCore;
  audit: AuditWriter;
}

interface GrantForm {
  name?: string;
  owner?: string;
  labels?: string;
}

export function createGrantPages(deps: GrantPagesDeps): Router {
  const router = Router();
  router.use("/grants", (req, res, next) => ((res.locals.caller as Caller).role === "admin" ? next() : adminsOnly(req, res, "grants", "Grants (agent credentials)")));

  async function render(req: Request, res: Response, options: { form?: GrantForm; errors?: FieldErrors; created?: { grant: Grant; token: string }; status?: number } = {}) {
    const grants = await deps.grants.list();
    const caller = res.locals.caller as Caller;
    sendPage(req, res, {
      title: "Grants",
      section: "grants",
      status: options.status,
      body: html`${pageHeader("Grants", "Credentials agents use to call tools through /mcp. Each token is shown once, when it is created.")}
${options.created ? tokenPanel(`Token for grant “${options.created.grant.name}”`, options.created.token, html`Agents send it as <code>Authorization: Bearer &lt;token&gt;</code> to <code>/mcp</code>.`) : null}
<div class="two-columns">
  ${grantTable(grants)}
  ${createForm(caller, options.created ? {} : (options.form ?? {}), options.errors ?? {})}
</div>`,
    });
  }

  router.get("/grants", (req, res) => render(req, res));

  router.post("/grants", async (req, res) => {
    const form: GrantForm = { name: formText(req.body, "name"), owner: formText(req.body, "owner"), labels: formText(req.body, "labels") };
    const labels = parseLabels(form.labels ?? "");
    if (typeof labels === "string") return render(req, res, { form, errors: { labels }, status: 400 });
    const parsed = GrantInput.safeParse({ name: form.name ?? "", owner: form.owner, labels: Object.keys(labels).length ? labels : undefined });
    if (!parsed.success) return render(req, res, { form, errors: issuesByField(parsed.error), status: 400 });
    const created = await createGrant(deps, parsed.data, (res.locals.caller as Caller).person);
    if (!created.ok) return render(req, res, { form, errors: { name: created.reason }, status: 409 });
    render(req, res, { created, status: 201 });
  });

  router.get("/grants/:name/revoke", async (req, res) => {
    const grant = await deps.grants.findByName(req.params.name);
    if (!grant || grant.revokedAt) return notFound(req, res, `There is no active grant named “${req.params.name}”.`);
    const open = (await deps.approvals.list({ statuses: ["pending", "approved"], limit: 500 })).filter((a) => a.grantName === grant.name).length;
    sendPage(req, res, {
      title: "Revoke grant",
      section: "grants",
      body: confirmPanel({
        caller: res.locals.caller as Caller,
        title: `Revoke grant “${grant.name}”?`,
        action: `/grants/${encodeURIComponent(grant.name)}/revoke`,
        confirmLabel: `Revoke ${grant.name}`,
        cancelHref: "/grants",
        consequences: html`<ul class="consequences">
  <li>Its token stops working at once: the agent gets HTTP 401 on its next request.</li>
  <li>${open === 0 ? "It has no held calls waiting." : html`Its <strong>${plural(open, "open approval")}</strong> ${open === 1 ? "is" : "are"} cancelled; nothing of ${open === 1 ? "it" : "them"} runs.`}</li>
  <li>This cannot be undone; create a new grant to let the agent back in.</li>
</ul>`,
      }),
    });
  });

  router.post("/grants/:name/revoke", async (req, res) => {
    const revoked = await revokeGrant(deps, req.params.name, (res.locals.caller as Caller).person);
    if (!revoked.ok) return redirectWithFlash(res, "/grants", { kind: "error", text: `${revoked.reason}; nothing changed.` });
    const cancelled = revoked.cancelledApprovals ? ` Cancelled ${plural(revoked.cancelledApprovals, "held call")}.` : "";
    redirectWithFlash(res, "/grants", { kind: "success", text: `Revoked grant ${revoked.grant.name}: its token no longer works.${cancelled}` });
  });

  return router;
}

/** "team=growth" lines → labels, or what is wrong. */
function parseLabels(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return `Write one label per line as key=value (“${line.trim()}” has no key).`;
    labels[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return labels;
}

function grantTable(grants: Grant[]): Markup {
  if (grants.length === 0) return html`<section class="panel">${emptyState("No grants yet.", "Create one to give an agent access to the gateway.")}</section>`;
  return credentialTable({
    id: "grant-list",
    title: "All grants",
    items: grants,
    endedAt: (g) => g.revokedAt,
    endedWord: "revoked",
    end: { path: (name) => `/grants/${encodeURIComponent(name)}/revoke`, label: "Revoke…" },
    columns: [
      { title: "Owner", cell: (g) => orNone(g.owner) },
      { title: "Labels", cell: (g) => (Object.keys(g.labels).length ? html`${Object.entries(g.labels).map(([k, v]) => html`<span class="tag">${k}=${v}</span> `)}` : orNone(null)) },
    ],
  });
}

function createForm(caller: Caller, form: GrantForm, errors: FieldErrors): Markup {
  return html`<section class="panel" aria-labelledby="new-grant">
  <h2 id="new-grant">New grant</h2>
  <form method="post" action="/grants" class="stacked" novalidate>
    ${csrfField(caller)}
    ${errors[""] ? html`<p class="notice error" role="alert">${errors[""]}</p>` : null}
    ${field({ name: "name", label: "Name", value: form.name, isRequired: true, placeholder: "growth-agent", hint: "Letters, digits, '.', '_' or '-'. Shown in the audit history and in approval requests.", error: errors.name })}
    ${field({ name: "owner", label: "Owner's Slack user id", value: form.owner, placeholder: "U012AB3CD", hint: "The person responsible for the agent; they cannot approve its calls unless a policy allows it.", error: errors.owner })}
    ${field({ name: "labels", label: "Labels", value: form.labels, rows: 3, placeholder: "team=growth", hint: "One key=value per line; policies can match them as grant.labels.<key>.", error: errors.labels })}
    <button type="submit" class="button">Create grant</button>
  </form>
</section>`;
}

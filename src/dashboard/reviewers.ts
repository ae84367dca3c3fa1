// Reviewers (people who decide outside Slack), for the admin: add one (their token shown once), list them, remove
// one after a confirmation. Adding and removing go through the same functions as the admin API, audited as this
// person.
import { Router, type Request, type Response } from "express";
import type { AuditWriter } from "../audit/index.ts";
import type { Caller } from "../http/callers.ts";
import { addReviewer, removeReviewer, ReviewerInput, type Reviewer, type ReviewerStore } from "../reviewers/index.ts";
import { confirmPanel, credentialTable, orNone, tokenPanel } from "./credential-views.ts";
import { redirectWithFlash } from "./flash.ts";
import { personName } from "./format.ts";
import { field, formText, issuesByField, type FieldErrors } from "./forms.ts";
import { html, type Markup } from "./html.ts";
import { csrfField, emptyState, pageHeader, sendPage } from "./layout.ts";
import { adminsOnly, notFound } from "./not-found.ts";

export interface ReviewerPagesDeps {
  reviewers: ReviewerStore;
  audit: AuditWriter;
}

interface ReviewerForm {
  name?: string;
  slackUserId?: string;
  oidcIdentity?: string;
}

export function createReviewerPages(deps: ReviewerPagesDeps): Router {
  const router = Router();
  router.use("/reviewers", (req, res, next) => ((res.locals.caller as Caller).role === "admin" ? next() : adminsOnly(req, res, "reviewers", "Reviewers")));

  async function render(req: Request, res: Response, options: { form?: ReviewerForm; errors?: FieldErrors; added?: { reviewer: Reviewer; token: string }; status?: number } = {}) {
    const reviewers = await deps.reviewers.list({ includeRemoved: true });
    const caller = res.locals.caller as Caller;
    sendPage(req, res, {
      title: "Reviewers",
      section: "reviewers",
      status: options.status,
      body: html`${pageHeader("Reviewers", "People who decide held calls from this dashboard, the API or the CLI, each with their own credential.")}
${
  options.added
    ? tokenPanel(
        `Token for reviewer “${options.added.reviewer.name}”`,
        options.added.token,
        html`Give it to ${options.added.reviewer.name} privately. They sign in to this dashboard with it, or use it as <code>Authorization: Bearer &lt;token&gt;</code> on <code>/api</code>; their votes count as <code>${options.added.reviewer.personId}</code>.`,
      )
    : null
}
<div class="two-columns">
  ${reviewerTable(reviewers)}
  ${addForm(caller, options.added ? {} : (options.form ?? {}), options.errors ?? {})}
</div>`,
    });
  }

  router.get("/reviewers", (req, res) => render(req, res));

  router.post("/reviewers", async (req, res) => {
    const form: ReviewerForm = { name: formText(req.body, "name"), slackUserId: formText(req.body, "slackUserId"), oidcIdentity: formText(req.body, "oidcIdentity") };
    const parsed = ReviewerInput.safeParse({ ...form, name: form.name ?? "" });
    if (!parsed.success) return render(req, res, { form, errors: issuesByField(parsed.error), status: 400 });
    const added = await addReviewer(deps, parsed.data, (res.locals.caller as Caller).person);
    if (!added.ok) return render(req, res, { form, errors: { name: added.reason }, status: 409 });
    render(req, res, { added, status: 201 });
  });

  router.get("/reviewers/:name/remove", async (req, res) => {
    const reviewer = (await deps.reviewers.list()).find((r) => r.name === req.params.name);
    if (!reviewer) return notFound(req, res, `There is no active reviewer named “${req.params.name}”.`);
    sendPage(req, res, {
      title: "Remove reviewer",
      section: "reviewers",
      body: confirmPanel({
        caller: res.locals.caller as Caller,
        title: `Remove reviewer “${reviewer.name}”?`,
        action: `/reviewers/${encodeURIComponent(reviewer.name)}/remove`,
        confirmLabel: `Remove ${reviewer.name}`,
        cancelHref: "/reviewers",
        consequences: html`<ul class="consequences">
  <li>Their token stops working at once, and so do their dashboard sessions.</li>
  <li>Votes they already cast stay in the audit history and still count.</li>
  <li>Adding the name again later gives them a new token.</li>
</ul>`,
      }),
    });
  });

  router.post("/reviewers/:name/remove", async (req, res) => {
    const removed = await removeReviewer(deps, req.params.name, (res.locals.caller as Caller).person);
    if (!removed.ok) return redirectWithFlash(res, "/reviewers", { kind: "error", text: `${removed.reason}; nothing changed.` });
    redirectWithFlash(res, "/reviewers", { kind: "success", text: `Removed reviewer ${removed.reviewer.name}: their token and sessions no longer work.` });
  });

  return router;
}

function reviewerTable(reviewers: Reviewer[]): Markup {
  if (reviewers.length === 0) return html`<section class="panel">${emptyState("No reviewers yet.", "Add one for each person who decides held calls outside Slack.")}</section>`;
  return credentialTable({
    id: "reviewer-list",
    title: "All reviewers",
    items: reviewers,
    endedAt: (r) => r.removedAt,
    endedWord: "removed",
    end: { path: (name) => `/reviewers/${encodeURIComponent(name)}/remove`, label: "Remove…" },
    columns: [
      { title: "Votes count as", cell: (r) => personName(r.personId) },
      { title: "Sign-on identity", cell: (r) => orNone(r.oidcIdentity) },
    ],
  });
}

function addForm(caller: Caller, form: ReviewerForm, errors: FieldErrors): Markup {
  return html`<section class="panel" aria-labelledby="new-reviewer">
  <h2 id="new-reviewer">New reviewer</h2>
  <form method="post" action="/reviewers" class="stacked" novalidate>
    ${csrfField(caller)}
    ${errors[""] ? html`<p class="notice error" role="alert">${errors[""]}</p>` : null}
    ${field({ name: "name", label: "Name", value: form.name, isRequired: true, placeholder: "alice", hint: "Letters, digits, '.', '_' or '-'.", error: errors.name })}
    ${field({ name: "slackUserId", label: "Slack user id", value: form.slackUserId, placeholder: "U012AB3CD", hint: "Link to their Slack account: a vote here and a click in Slack count as one person.", error: errors.slackUserId })}
    ${field({ name: "oidcIdentity", label: "Sign-on identity", value: form.oidcIdentity, placeholder: "alice@example.com", hint: "Their email at the single sign-on provider, when sign-on is configured.", error: errors.oidcIdentity })}
    <button type="submit" class="button">Add reviewer</button>
  </form>
</section>`;
}

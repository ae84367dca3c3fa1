// Editing an upstream's policy as a plain form: the JSON in a textarea, and three buttons that post it back.
// Validate lists the problems next to the editor; Preview adds the diff against the newest version and a dry
// run over recent audited calls; Save (the admin's) only saves a text whose preview was shown, so nobody saves
// a change they have not seen, and a save that lost a race with someone else's keeps the text in the editor.
import { Router, type Request, type Response } from "express";
import type { Caller } from "../http/callers.ts";
import { DRY_RUN_DEFAULT_LIMIT, DRY_RUN_MAX_LIMIT, isPolicyRefusal, sha256Text, type PolicyAdmin, type PolicyContent } from "../policies/index.ts";
import { redirectWithFlash } from "./flash.ts";
import { personName } from "./format.ts";
import { formText } from "./forms.ts";
import { html, type Markup } from "./html.ts";
import { pageHeader, sendPage } from "./layout.ts";
import { adminsOnly, notFound } from "./not-found.ts";
import { diffView, dryRunView, validationView } from "./policy-check-views.ts";
import { editorForm, editorHelp, type EditForm } from "./policy-editor-views.ts";
import { breadcrumb, policyPath, policyStateNotice, withGrant } from "./policy-views.ts";

export interface PolicyEditorDeps {
  policyAdmin: PolicyAdmin;
}

interface Checked {
  validation?: Awaited<ReturnType<PolicyAdmin["validate"]>>;
  diff?: Awaited<ReturnType<PolicyAdmin["diff"]>>;
  dryRun?: Awaited<ReturnType<PolicyAdmin["dryRun"]>> | null;
}

export function createPolicyEditor(deps: PolicyEditorDeps): Router {
  const admin = deps.policyAdmin;
  const router = Router();

  function render(req: Request, res: Response, page: { upstream: string; status: PolicyContent; form: EditForm; checked?: Checked; notice?: Markup | null; code?: number }) {
    const { upstream, status, form, checked = {} } = page;
    const caller = res.locals.caller as Caller;
    const results = [
      checked.validation && !isPolicyRefusal(checked.validation) ? validationView(checked.validation) : null,
      checked.dryRun && !isPolicyRefusal(checked.dryRun) ? dryRunView(checked.dryRun) : null,
      checked.diff && !isPolicyRefusal(checked.diff) ? diffView(checked.diff, { linksToEditor: true }) : null,
    ].filter((view): view is Markup => view !== null);
    const hasProblems = Boolean(checked.validation && !isPolicyRefusal(checked.validation) && !checked.validation.ok);
    sendPage(req, res, {
      title: `Edit ${upstream} policy`,
      section: "policies",
      status: page.code,
      body: html`${breadcrumb(upstream, form.grant)}
${pageHeader(`Edit ${upstream}'s policy`, form.expectedVersion === null ? "No version is recorded yet." : `Your edit starts from version ${form.expectedVersion}.`)}
${page.notice ?? null}
${policyStateNotice(status)}
<div class="editor-grid">
  ${editorForm({ caller, action: policyPath(upstream, "/edit"), form, hasProblems })}
  <div class="check-column" data-check-results>${results.length ? results : editorHelp(form.limit)}</div>
</div>`,
    });
  }

  async function current(req: Request, res: Response): Promise<PolicyContent | null> {
    const status = await admin.get(req.params.upstream as string);
    if (!isPolicyRefusal(status)) return status;
    notFound(req, res, status.detail);
    return null;
  }

  async function preview(upstream: string, form: EditForm): Promise<{ checked: Checked; form: EditForm }> {
    const [validation, diff] = await Promise.all([admin.validate(upstream, form.content), admin.diff(upstream, form.content)]);
    const isValid = !isPolicyRefusal(validation) && validation.ok;
    const dryRun = isValid ? await admin.dryRun(upstream, form.content, { limit: form.limit }) : null;
    return { checked: { validation, diff, dryRun }, form: { ...form, previewed: isValid ? sha256Text(form.content) : null } };
  }

  router.get("/policies/:upstream/edit", async (req, res) => {
    const status = await current(req, res);
    if (!status) return;
    const isRejectedEdit = status.content !== null && status.contentVersion === null && status.errors !== null;
    const notice = isRejectedEdit ? html`<p class="notice info" role="status">The editor starts from the file as it is on disk, including the edit that was rejected, so you can fix it.</p>` : null;
    const grant = typeof req.query.grant === "string" && req.query.grant !== "" ? req.query.grant : null;
    const form: EditForm = { content: status.content ?? "", expectedVersion: status.version, previewed: null, comment: "", limit: DRY_RUN_DEFAULT_LIMIT, grant };
    render(req, res, { upstream: status.upstream, status, form, notice });
  });

  router.post("/policies/:upstream/edit", async (req, res) => {
    const status = await current(req, res);
    if (!status) return;
    const upstream = status.upstream;
    const form = readForm(req.body);
    const action = formText(req.body, "action");
    if (action === "validate") {
      const validation = await admin.validate(upstream, form.content);
      return render(req, res, { upstream, status, form: { ...form, previewed: null }, checked: { validation } });
    }
    if (action !== "save") return render(req, res, { upstream, status, ...(await preview(upstream, form)) });

    const caller = res.locals.caller as Caller;
    if (caller.role !== "admin") return adminsOnly(req, res, "policies", "Policy saves and rollbacks");
    if (form.previewed !== sha256Text(form.content)) {
      const notice = html`<p class="notice info" role="status" data-save-needs-preview>Nothing was saved yet: check the diff and the dry run of this text, then Save again.</p>`;
      return render(req, res, { upstream, status, ...(await preview(upstream, form)), notice });
    }
    const saved = await admin.save(upstream, form.content, { by: caller.person, comment: form.comment || undefined, expectedVersion: form.expectedVersion ?? undefined, source: "dashboard" });
    if (!isPolicyRefusal(saved)) {
      const text = saved.isUnchanged
        ? `Nothing to save: the text is already version ${saved.version.version}.`
        : `Saved version ${saved.version.version} of ${upstream}'s policy.${saved.isLoaded ? " It is in force now." : " This gateway loads it within seconds."}`;
      return redirectWithFlash(res, withGrant(policyPath(upstream), form.grant), { kind: "success", text });
    }
    if (saved.code === "not_found") return notFound(req, res, saved.detail);
    if (saved.code === "invalid_policy") {
      const validation = { ok: false, issues: saved.issues, warnings: saved.warnings };
      return render(req, res, { upstream, status, form: { ...form, previewed: null }, checked: { validation }, code: 422 });
    }
    // Someone saved first: keep the text, and show what it changes against their version.
    const fresh = await current(req, res);
    if (!fresh) return;
    const rebased = await preview(upstream, { ...form, expectedVersion: saved.currentVersion });
    render(req, res, { upstream, status: fresh, ...rebased, notice: await conflictNotice(admin, upstream, saved.currentVersion), code: 409 });
  });

  return router;
}

async function conflictNotice(admin: PolicyAdmin, upstream: string, version: number): Promise<Markup> {
  const found = await admin.version(upstream, version);
  const who = isPolicyRefusal(found) ? null : html` by ${personName(found.createdBy)}`;
  return html`<div class="notice error" role="alert" data-conflict><strong>Not saved: version ${version} was saved${who} after you started editing.</strong> Nothing was written. Your text is still in the editor, and the diff and dry run below now compare it with version ${version}. Save again to replace that version with your text.</div>`;
}

function readForm(body: unknown): EditForm {
  const fields = (body ?? {}) as Record<string, unknown>;
  // Browsers send a textarea's line breaks as CRLF; the file keeps the LF it was written with.
  const content = typeof fields.content === "string" ? fields.content.replace(/\r\n?/g, "\n") : "";
  const expected = Number(formText(body, "expectedVersion"));
  const limit = Number(formText(body, "limit"));
  return {
    content,
    expectedVersion: Number.isInteger(expected) && expected >= 0 ? expected : null,
    previewed: formText(body, "previewed") ?? null,
    comment: formText(body, "comment") ?? "",
    limit: Number.isInteger(limit) && limit >= 1 ? Math.min(limit, DRY_RUN_MAX_LIMIT) : DRY_RUN_DEFAULT_LIMIT,
    grant: formText(body, "grant") ?? null,
  };
}

// Audit history: every tool call, newest first, with the filters an auditor needs, cursor pages, and exports
// of everything that matches (CSV for spreadsheets, JSON for tools). Each row opens the call's own page.
import { Router, type Request, type Response } from "express";
import { formatToolCalls, InvalidAuditQueryError, listToolCalls, MAX_PAGE_SIZE, parseSince, type CallRow, type ToolCallFilters } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { badge, formatDuration, pointer, timeTag } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { emptyState, pageHeader, sendPage } from "./layout.ts";

export interface AuditPagesDeps {
  database: Database;
  /** Upstream names, for the filter's choices. */
  upstreamNames(): string[];
}

const TEXT_FILTERS = ["since", "until", "upstream", "tool", "grant", "decision", "status", "reviewer"] as const;
type FilterForm = Partial<Record<(typeof TEXT_FILTERS)[number], string>> & { limit: number; cursor?: string };

const DECISIONS = ["allow", "deny", "hide", "rate_limited", "require_approval", "error"];
const STATUSES = ["forwarded", "succeeded", "failed", "outcome_unknown", "refused", "pending_approval", "approved", "executing", "denied", "expired", "cancelled", "attached", "replayed"];
const PAGE_SIZES = [25, 50, 100, 200];
const RANGES: Array<[string, string]> = [
  ["1h", "Last hour"],
  ["24h", "24 hours"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["", "All time"],
];

export function createAuditPages(deps: AuditPagesDeps): Router {
  const router = Router();

  router.get("/audit", async (req, res) => {
    const form = readForm(req);
    let page: { rows: CallRow[]; nextCursor: string | null } | null = null;
    let problem: string | null = null;
    try {
      page = await listToolCalls(deps.database, { ...toFilters(form), limit: form.limit, cursor: form.cursor });
    } catch (error) {
      if (!(error instanceof InvalidAuditQueryError)) throw error;
      problem = error.message;
    }
    const exports = html`<a class="button secondary" href="/audit/export?${queryString(form, { format: "csv", cursor: undefined, limit: undefined })}" download>Export CSV</a>
<a class="button secondary" href="/audit/export?${queryString(form, { format: "json", cursor: undefined, limit: undefined })}" download>Export JSON</a>`;
    sendPage(req, res, {
      title: "Audit history",
      section: "audit",
      status: problem ? 400 : 200,
      body: html`${pageHeader("Audit history", "Every tool call the gateway decided, newest first. Open a call to see who asked, who decided, and what ran.", exports)}
${filterForm(form, deps.upstreamNames())}
${problem ? html`<div class="notice error" role="alert">${problem}</div>` : null}
${page ? results(page, form) : null}`,
    });
  });

  router.get("/audit/export", async (req: Request, res: Response) => {
    const form = readForm(req);
    const format = req.query.format === "json" ? "json" : "csv";
    let filters: ToolCallFilters;
    let first: Awaited<ReturnType<typeof listToolCalls>>;
    try {
      filters = toFilters(form);
      first = await listToolCalls(deps.database, { ...filters, limit: MAX_PAGE_SIZE });
    } catch (error) {
      if (!(error instanceof InvalidAuditQueryError)) throw error;
      return void res.status(400).type("text").send(`${error.message}\n`);
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    res.setHeader("content-disposition", `attachment; filename="gatehouse-audit-${stamp}.${format}"`);
    res.setHeader("cache-control", "no-store");
    res.type(format === "json" ? "application/json" : "text/csv");
    // Every matching row, a page at a time, so a large history never sits in memory at once.
    let page = first;
    let isFirst = true;
    if (format === "json") res.write("[");
    for (;;) {
      if (format === "csv") {
        const text = formatToolCalls(page.rows, "csv");
        res.write(isFirst ? text : text.slice(text.indexOf("\r\n") + 2));
      } else {
        for (const [i, row] of page.rows.entries()) res.write(`${isFirst && i === 0 ? "\n" : ",\n"}${JSON.stringify(row)}`);
      }
      isFirst = false;
      if (!page.nextCursor) break;
      page = await listToolCalls(deps.database, { ...filters, limit: MAX_PAGE_SIZE, cursor: page.nextCursor });
    }
    res.end(format === "json" ? "\n]\n" : "");
  });

  return router;
}

function readForm(req: Request): FilterForm {
  const form: FilterForm = { limit: 50 };
  for (const name of TEXT_FILTERS) {
    const value = req.query[name];
    if (typeof value === "string" && value.trim() !== "") form[name] = value.trim();
  }
  const limit = Number(req.query.limit);
  if (PAGE_SIZES.includes(limit)) form.limit = limit;
  if (typeof req.query.cursor === "string" && req.query.cursor) form.cursor = req.query.cursor;
  return form;
}

/** The form as query filters: times read as the API and CLI read them, the rest matched as typed. */
function toFilters(form: FilterForm): ToolCallFilters {
  const { since, until, limit: _limit, cursor: _cursor, ...matched } = form;
  const now = new Date();
  return { ...matched, since: since ? parseSince(since, now) : undefined, until: until ? parseSince(until, now) : undefined };
}

/** The form's values as a query string, with some replaced (undefined drops one). */
function queryString(form: FilterForm, overrides: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  const values: Record<string, string | number | undefined> = { ...form, ...overrides };
  for (const name of [...TEXT_FILTERS, "limit", "cursor", "format"]) {
    const value = values[name];
    if (value !== undefined && value !== "" && !(name === "limit" && value === 50)) params.set(name, String(value));
  }
  return params.toString();
}

function filterForm(form: FilterForm, upstreams: string[]): Markup {
  const select = (name: "upstream" | "decision" | "status", label: string, choices: string[]) =>
    html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">Any</option>${choices.map(
      (choice) => html`<option value="${choice}"${form[name] === choice ? html` selected` : null}>${choice.replaceAll("_", " ")}</option>`,
    )}${form[name] && !choices.includes(form[name]) ? html`<option value="${form[name]}" selected>${form[name]}</option>` : null}</select></div>`;
  const text = (name: "since" | "until" | "tool" | "grant" | "reviewer", label: string, placeholder: string) =>
    html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${form[name] ?? ""}" placeholder="${placeholder}" autocomplete="off"></div>`;
  return html`<form class="filters" method="get" action="/audit" aria-label="Filter the audit history">
  <div class="ranges" role="group" aria-label="Time range">${RANGES.map(([since, label]) => {
    const isActive = (form.since ?? "") === since && !form.until;
    return html`<a href="/audit?${queryString(form, { since: since || undefined, until: undefined, cursor: undefined })}" class="chip${isActive ? " is-active" : ""}"${isActive ? html` aria-current="true"` : null}>${label}</a>`;
  })}</div>
  <div class="filter-grid">
    ${text("since", "Since", "24h, 7d or a date")}
    ${text("until", "Until", "1h or 2025-02-01")}
    ${select("upstream", "Upstream", upstreams)}
    ${text("tool", "Tool", "smartlead_update_* (glob)")}
    ${text("grant", "Agent (grant)", "growth-agent")}
    ${select("decision", "Decision", DECISIONS)}
    ${select("status", "Status", STATUSES)}
    ${text("reviewer", "Reviewer", "alice or U012AB3CD")}
    <div class="field"><label for="f-limit">Per page</label><select id="f-limit" name="limit">${PAGE_SIZES.map((n) => html`<option value="${n}"${n === form.limit ? html` selected` : null}>${n}</option>`)}</select></div>
    <div class="filter-actions"><button type="submit" class="button">Apply</button> <a href="/audit" class="button secondary">Reset</a></div>
  </div>
</form>`;
}

function results(page: { rows: CallRow[]; nextCursor: string | null }, form: FilterForm): Markup {
  if (page.rows.length === 0) {
    return emptyState(form.cursor ? "No more calls." : "No calls match these filters.", html`<a href="/audit">Reset the filters</a> to see every call.`);
  }
  const pager = html`<nav class="pager" aria-label="Pages">
    ${form.cursor ? html`<a class="button secondary" href="/audit?${queryString(form, { cursor: undefined })}">← Newest</a>` : null}
    ${page.nextCursor ? html`<a class="button secondary" rel="next" href="/audit?${queryString(form, { cursor: page.nextCursor })}">Older →</a>` : null}
  </nav>`;
  return html`<p class="result-count">${page.rows.length} ${page.rows.length === 1 ? "call" : "calls"} on this page${form.cursor ? " (older page)" : ""}${page.nextCursor ? ", more on the next" : ""}.</p>
<div class="table-wrap"><table class="data audit-table">
  <thead><tr><th scope="col"><span class="visually-hidden">Chain check</span></th><th scope="col">Time</th><th scope="col">Tool</th><th scope="col">Agent</th><th scope="col">Decision</th><th scope="col">Status</th><th scope="col">Rule</th><th scope="col" class="num">Duration</th></tr></thead>
  <tbody>${page.rows.map(
    (row) => html`<tr${row.integrity.ok ? null : html` class="tampered"`}>
    <td>${integrityMark(row.integrity)}</td>
    <td class="nowrap">${timeTag(row.createdAt, "short")}</td>
    <td><a href="/audit/calls/${row.id}"><code>${row.tool}</code></a><div class="cell-note">${row.upstream}</div></td>
    <td class="nowrap">${row.grantName}</td>
    <td>${badge(row.decision)}</td>
    <td>${badge(row.status)}${row.error ? html`<div class="cell-note error-text" title="${row.error}">${truncate(row.error, 80)}</div>` : null}</td>
    <td>${ruleSummary(row.rule, row.tool)}</td>
    <td class="num">${formatDuration(row.durationMs)}</td>
  </tr>`,
  )}</tbody>
</table></div>
${pager}`;
}

/**
 * What the hash chain says about the row: it agrees (✓), some fields predate the events that vouch for them
 * (○, named on hover), or the row disagrees with its events — shown loudly, never as if it were fine.
 */
export function integrityMark(integrity: CallRow["integrity"]): Markup {
  if (!integrity.ok) return html`<span class="badge tone-bad" title="${integrity.problems.join("\n")}">TAMPERED</span>`;
  if (integrity.unverified.length > 0) return html`<span class="chain-mark partial" title="Checked against the audit chain, except: ${integrity.unverified.join(", ")}">○</span>`;
  return html`<span class="chain-mark ok" title="Matches the hash-chained audit events">✓</span>`;
}

/** The rule, short: a pointer into the call's own tool entry reads "tool rule › approval_if/0" (full pointer on hover). */
function ruleSummary(rule: string | null, tool: string): Markup {
  if (!rule) return html`<span class="muted">default</span>`;
  const own = `/tools/${tool}`;
  if (rule !== own && !rule.startsWith(`${own}/`)) return pointer(rule);
  const rest = rule.slice(own.length + 1);
  return html`<span class="rule-summary" title="${rule}">tool rule${rest ? html` › <code>${rest}</code>` : null}</span>`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// The page frame every dashboard page shares: a top bar with the sections this person may use, who is signed
// in, the one-time message after a form post, and the page. Sending a page also sets the headers that keep
// it from being framed or running scripts it did not ship (no inline script anywhere).
import type { Request, Response } from "express";
import type { Caller } from "../http/callers.ts";
import { assetUrl } from "./assets.ts";
import { takeFlash, type Flash } from "./flash.ts";
import { html, type Markup } from "./html.ts";

export type Section = "pending" | "audit" | "policies" | "grants" | "reviewers";

const NAV: Array<{ section: Section; href: string; label: string; isAdminOnly: boolean }> = [
  { section: "pending", href: "/", label: "Pending", isAdminOnly: false },
  { section: "audit", href: "/audit", label: "Audit", isAdminOnly: false },
  { section: "policies", href: "/policies", label: "Policies", isAdminOnly: false },
  { section: "grants", href: "/grants", label: "Grants", isAdminOnly: true },
  { section: "reviewers", href: "/reviewers", label: "Reviewers", isAdminOnly: true },
];

export interface PageOptions {
  caller?: Caller | null;
  section?: Section;
  flash?: Flash | null;
}

export function layout(title: string, body: Markup, options: PageOptions = {}): Markup {
  const caller = options.caller ?? null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="${assetUrl("dashboard.css")}">
${caller?.session ? html`<meta name="csrf-token" content="${caller.session.csrfToken}">` : null}
<script src="${assetUrl("dashboard.js")}" defer></script>
</head>
<body class="${caller ? "app" : "bare"}">
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/"><span class="brand-mark" aria-hidden="true"></span>Gatehouse</a>
  ${caller ? navigation(caller, options.section) : null}
  ${caller ? whoIsSignedIn(caller) : null}
</header>
<main id="main" tabindex="-1">
${options.flash ? flashNotice(options.flash) : null}
${body}
</main>
</body>
</html>`;
}

function navigation(caller: Caller, active: Section | undefined): Markup {
  const items = NAV.filter((item) => !item.isAdminOnly || caller.role === "admin");
  return html`<nav class="main-nav" aria-label="Sections">${items.map(
    (item) => html`<a href="${item.href}"${item.section === active ? html` aria-current="page"` : null}>${item.label}</a>`,
  )}</nav>`;
}

function whoIsSignedIn(caller: Caller): Markup {
  return html`<div class="who">
    <span class="who-name" title="${caller.person}">${caller.displayName}</span>
    <span class="badge tone-${caller.role === "admin" ? "warn" : "info"}">${caller.role}</span>
    ${caller.session ? html`<form method="post" action="/auth/sign-out" class="inline">${csrfField(caller)}<button type="submit" class="button-link">Sign out</button></form>` : null}
  </div>`;
}

export function flashNotice(flash: Flash): Markup {
  return html`<div class="notice ${flash.kind}" role="${flash.kind === "error" ? "alert" : "status"}" data-flash>${flash.text}</div>`;
}

/** The hidden field every dashboard form carries. */
export function csrfField(caller: Caller): Markup {
  return html`<input type="hidden" name="_csrf" value="${caller.session?.csrfToken ?? ""}">`;
}

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

export function sendHtml(res: Response, status: number, markup: Markup): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader("cache-control", "no-store");
  res.status(status).type("html").send(markup.text);
}

/** Renders a full page for the signed-in caller (res.locals.caller), with the waiting flash message. */
export function sendPage(req: Request, res: Response, page: { title: string; body: Markup; section?: Section; status?: number }): void {
  const caller = (res.locals.caller as Caller | undefined) ?? null;
  sendHtml(res, page.status ?? 200, layout(page.title, page.body, { caller, section: page.section, flash: takeFlash(req, res) }));
}

/** A page header: the title, an optional line under it, and actions on the right. */
export function pageHeader(title: string, subtitle: Markup | string | null = null, actions: Markup | null = null): Markup {
  return html`<div class="page-header"><div><h1>${title}</h1>${subtitle ? html`<p class="subtitle">${subtitle}</p>` : null}</div>${actions ? html`<div class="page-actions">${actions}</div>` : null}</div>`;
}

export function emptyState(title: string, text: Markup | string): Markup {
  return html`<div class="empty-state"><p class="empty-title">${title}</p><p>${text}</p></div>`;
}

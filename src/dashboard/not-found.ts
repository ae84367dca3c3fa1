// The pages for what is not there, and for what this person may not see.
import type { Request, Response } from "express";
import { html } from "./html.ts";
import { sendPage, type Section } from "./layout.ts";

export function notFound(req: Request, res: Response, text = "There is no page at this address."): void {
  sendPage(req, res, {
    title: "Not found",
    status: 404,
    body: html`<section class="message-page"><p class="message-code">404</p><h1>Not found</h1><p>${text}</p><p><a class="button" href="/">Go to pending approvals</a> <a class="button secondary" href="/audit">Audit history</a></p></section>`,
  });
}

export function adminsOnly(req: Request, res: Response, section: Section, what: string): void {
  sendPage(req, res, {
    title: "Admins only",
    section,
    status: 403,
    body: html`<section class="message-page"><p class="message-code">403</p><h1>Admins only</h1><p>${what} are managed by the admin. You are signed in as a reviewer: you can decide pending calls, read the audit history and see policies.</p><p>Ask an admin, or sign in with the admin token.</p><p><a class="button" href="/">Go to pending approvals</a></p></section>`,
  });
}

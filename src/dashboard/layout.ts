// The page frame every dashboard page shares.
import type { Caller } from "../http/callers.ts";
import { html, type Markup } from "./html.ts";

export function layout(title: string, body: Markup, caller: Caller | null = null): Markup {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Gatehouse</title>
${caller?.session ? html`<meta name="csrf-token" content="${caller.session.csrfToken}">` : null}
</head>
<body>
<header><a href="/">Gatehouse</a>${caller ? html` <span>${caller.displayName} (${caller.role})</span>
<form method="post" action="/auth/sign-out"><input type="hidden" name="_csrf" value="${caller.session?.csrfToken ?? ""}"><button type="submit">Sign out</button></form>` : null}</header>
<main>${body}</main>
</body>
</html>`;
}

// A one-time message after a form post (POST, then redirect, then GET shows it once). It travels in a short-lived
// HttpOnly cookie set by the server only, so a link cannot make the dashboard display words of someone else's
// choosing. Tokens are never put in it: a page that reveals a token is rendered straight from the POST.
import type { Request, Response } from "express";
import { readCookie } from "../http/callers.ts";

export type FlashKind = "success" | "info" | "error";

export interface Flash {
  kind: FlashKind;
  text: string;
}

const FLASH_COOKIE = "gatehouse_flash";
const MAX_TEXT = 600;

export function setFlash(res: Response, flash: Flash): void {
  const value = Buffer.from(JSON.stringify({ kind: flash.kind, text: flash.text.slice(0, MAX_TEXT) }), "utf8").toString("base64url");
  res.append("set-cookie", `${FLASH_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60`);
}

/** Redirects (303) with a message for the next page. */
export function redirectWithFlash(res: Response, location: string, flash: Flash): void {
  setFlash(res, flash);
  res.redirect(303, location);
}

/** The message waiting for this request, if any; it is cleared so a reload does not show it again. */
export function takeFlash(req: Request, res: Response): Flash | null {
  const value = readCookie(req, FLASH_COOKIE);
  if (value === null) return null;
  res.append("set-cookie", `${FLASH_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Partial<Flash>;
    if ((parsed.kind === "success" || parsed.kind === "info" || parsed.kind === "error") && typeof parsed.text === "string") return { kind: parsed.kind, text: parsed.text };
  } catch {
    // a mangled cookie shows nothing
  }
  return null;
}

// DNS-rebinding protection. A web page on a name the attacker controls can re-point that name at 127.0.0.1
// and talk to a gateway on this machine as if it were the page's own server; the browser then sends the
// attacker's name in Host. So a gateway bound to loopback answers only to its loopback names (or names the
// config lists), and any browser request whose Origin is another site is refused. The SDK's
// hostHeaderValidation ignores the port and its 403 does not say how to allow a name, hence this module.
import { isIP } from "node:net";
import type { NextFunction, Request, Response } from "express";
import { problem } from "./errors.ts";

export interface HostRules {
  /** Host header values allowed besides the gateway's own loopback names; null: any Host (no check). */
  hosts: ReadonlySet<string> | null;
  /** Served on the gateway's port or without a port when Host is checked: the loopback names and the bound IP address. */
  ownNames: readonly string[];
  /** Origins allowed besides the request's own; "*" in the config: any. */
  origins: ReadonlySet<string> | "any";
  /** Said once at start-up when the Host check is off without being asked to be. */
  warning: string | null;
}

export interface HostRulesOptions {
  listenHost: string;
  allowedHosts?: readonly string[] | undefined;
  allowedOrigins?: readonly string[] | undefined;
  /** dashboard.publicUrl: its host and origin are allowed too. */
  publicUrl?: string | undefined;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/**
 * On by default for a loopback bind; for any other bind only once `listen.allowedHosts` is set (the names
 * a server on 0.0.0.0 is reached under are unknown to it). `"*"` in allowedHosts turns the Host check off.
 * The loopback names and the bound IP address stay allowed (on the gateway's port): an IP address cannot
 * be re-pointed, and the CLI reaches the gateway at the address in gateway.json.
 */
export function hostRulesFor(options: HostRulesOptions): HostRules {
  const isLoopbackBound = isLoopbackHost(options.listenHost);
  const configured = options.allowedHosts ?? [];
  const publicUrl = options.publicUrl ? new URL(options.publicUrl) : null;
  const isChecked = !configured.includes("*") && (isLoopbackBound || configured.length > 0);
  const hosts = isChecked ? new Set([...configured, ...(publicUrl ? [publicUrl.host] : [])].map((h) => h.toLowerCase())) : null;
  const originList = options.allowedOrigins ?? [];
  const origins = originList.includes("*") ? "any" : new Set([...originList.map(normalizeOrigin), ...(publicUrl ? [publicUrl.origin] : [])]);
  const warning =
    hosts === null && configured.length === 0
      ? `Listening on ${options.listenHost} without DNS-rebinding protection: any Host header is served. List the names clients use in listen.allowedHosts (or ["*"] to keep this and silence the warning).`
      : null;
  const bound = isIP(options.listenHost.replace(/^\[(.*)\]$/, "$1"));
  const boundName = bound === 6 ? `[${options.listenHost.replace(/^\[(.*)\]$/, "$1")}]` : options.listenHost;
  const ownNames = isChecked ? [...new Set([...LOOPBACK_NAMES, ...(bound ? [boundName.toLowerCase()] : [])])] : [];
  return { hosts, ownNames, origins, warning };
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return bare === "localhost" || bare === "::1" || bare.startsWith("127.");
}

export interface HostRefusal {
  header: "Host" | "Origin";
  value: string;
  setting: "listen.allowedHosts" | "listen.allowedOrigins";
  message: string;
}

/** Why this request may not be served, or null. `localPort` is the port the request arrived on. */
export function refusalFor(rules: HostRules, host: string | undefined, origin: string | undefined, localPort: number | undefined): HostRefusal | null {
  const hostValue = (host ?? "").toLowerCase();
  if (rules.hosts && !isHostAllowed(rules, hostValue, localPort)) {
    const shown = host ?? "(none)";
    return {
      header: "Host",
      value: shown,
      setting: "listen.allowedHosts",
      message:
        `Refused: Host ${JSON.stringify(shown)} is not a name this gateway serves (DNS-rebinding protection). ` +
        (host
          ? `If clients reach Gatehouse under this name (a reverse proxy, a tunnel, another hostname), add ${JSON.stringify(hostValue)} to listen.allowedHosts in gatehouse.json.`
          : "Send the Host header of the address you connected to."),
    };
  }
  if (origin !== undefined && !isOriginAllowed(rules, origin, hostValue)) {
    return {
      header: "Origin",
      value: origin,
      setting: "listen.allowedOrigins",
      message:
        `Refused: a browser request from Origin ${JSON.stringify(origin)} may not call this gateway (only its own pages may). ` +
        `To let a web app on that origin call it, add ${JSON.stringify(origin === "null" ? "null" : normalizeOrigin(origin))} to listen.allowedOrigins in gatehouse.json.`,
    };
  }
  return null;
}

function isHostAllowed(rules: HostRules, host: string, localPort: number | undefined): boolean {
  if (rules.hosts?.has(host)) return true;
  return rules.ownNames.some((name) => host === name || (localPort !== undefined && host === `${name}:${localPort}`));
}

function isOriginAllowed(rules: HostRules, origin: string, host: string): boolean {
  if (rules.origins === "any") return true;
  if (origin === "null") return rules.origins.has("null");
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  // The gateway's own pages (the dashboard): same host as the request, which the Host check already vetted.
  return url.host === host || rules.origins.has(url.origin);
}

function normalizeOrigin(origin: string): string {
  if (origin === "null") return origin;
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/** Paths served whatever the Host: Slack's signed callbacks (a browser cannot forge them) and the bare liveness probe. */
const UNGUARDED = ["/slack/events", "/healthz"];

/** Refuses before any body is read: JSON-RPC error on /mcp, problem JSON elsewhere. */
export function createHostGuard(rules: HostRules, onRefused?: (refusal: HostRefusal, req: Request) => void) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (UNGUARDED.some((path) => req.path === path || req.path.startsWith(`${path}/`))) return next();
    const refusal = refusalFor(rules, req.header("host"), req.header("origin"), req.socket.localPort);
    if (!refusal) return next();
    onRefused?.(refusal, req);
    const code = refusal.header === "Host" ? "host_not_allowed" : "origin_not_allowed";
    if (req.path === "/mcp" || req.path.startsWith("/mcp/")) {
      res.status(403).json({ jsonrpc: "2.0", error: { code: -32000, message: refusal.message, data: { code, header: refusal.header, value: refusal.value, setting: refusal.setting } }, id: null });
      return;
    }
    problem(res, 403, code, refusal.message);
  };
}

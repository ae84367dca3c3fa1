// Who a single sign-on user is, and what they may do: pure functions over the provider's claims, the reviewer
// linked to the identity (if any) and the config's admin / reviewer lists. Votes are people, so a linked
// reviewer signs in as that reviewer's person (their Slack id when linked), and everyone else as oidc:<identity>.
import type { SessionIdentity } from "../sessions/index.ts";

export type IdentityResult = { ok: true; identity: string } | { ok: false; identity: string | null; reason: string };

export type AccessResult = { ok: true; session: SessionIdentity } | { ok: false; reason: string };

export interface AccessLists {
  admins: readonly string[];
  reviewers: readonly string[];
}

/** The reviewer linked to the identity, as far as a session needs it. */
export interface LinkedReviewer {
  id: string;
  name: string;
  personId: string;
  slackUserId: string | null;
}

/**
 * The identity named by `identityClaim`, trimmed and lower-cased (as reviewers' links are stored). An email is
 * trusted only when the provider says it is verified (`email_verified` true): an unverified or unstated one is
 * refused, since some providers let users type any address.
 */
export function identityFromClaims(claims: Readonly<Record<string, unknown>>, identityClaim: string): IdentityResult {
  const value = claims[identityClaim];
  const identity = typeof value === "string" || typeof value === "number" ? String(value).trim().toLowerCase() : "";
  if (!identity) {
    return { ok: false, identity: null, reason: `The provider did not send the "${identityClaim}" claim that names you. Ask an admin to check the requested scopes (dashboard.oidc.scopes) and dashboard.oidc.identityClaim.` };
  }
  if (identityClaim !== "email") return { ok: true, identity };
  const verified = claims.email_verified;
  if (verified === true || verified === "true") return { ok: true, identity };
  if (verified === false || verified === "false") {
    return { ok: false, identity, reason: `The provider says the email ${identity} is not verified. Verify it with your provider, then sign in again.` };
  }
  return {
    ok: false,
    identity,
    reason: `The provider did not say whether the email ${identity} is verified (no email_verified claim), and Gatehouse trusts only verified emails. Ask an admin to set dashboard.oidc.identityClaim to a claim the provider guarantees (preferred_username or sub).`,
  };
}

/** An exact identity, `*@domain` (any identity at that domain) or `*` (anyone the provider signs in); case-insensitive. */
export function matchesIdentity(pattern: string, identity: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p === "*") return true;
  if (p.startsWith("*@")) {
    const at = identity.indexOf("@");
    return at > 0 && identity.slice(at) === p.slice(1);
  }
  return p === identity;
}

/** What a signed-in identity becomes: a linked reviewer, an admin, a listed reviewer, or refused. */
export function decideAccess(identity: string, linked: LinkedReviewer | null, lists: AccessLists): AccessResult {
  const isAdmin = lists.admins.some((p) => matchesIdentity(p, identity));
  const common = { displayName: identity, via: "oidc" as const };
  if (linked) {
    return { ok: true, session: { ...common, person: linked.personId, role: isAdmin ? "admin" : "reviewer", reviewerId: linked.id, slackUserId: linked.slackUserId } };
  }
  const person = `oidc:${identity}`;
  if (isAdmin) return { ok: true, session: { ...common, person, role: "admin", reviewerId: null, slackUserId: null } };
  if (lists.reviewers.some((p) => matchesIdentity(p, identity))) return { ok: true, session: { ...common, person, role: "reviewer", reviewerId: null, slackUserId: null } };
  return { ok: false, reason: `You signed in as ${identity}, who is not a Gatehouse reviewer; ask an admin to add you: gatehouse reviewers add <name> --oidc ${identity}` };
}

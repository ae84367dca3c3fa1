// Voters are people (DESIGN §6). Every vote is stored under a person id and quorum counts distinct ids:
//   slack:<USER_ID>   a Slack user (no team id: one person in two workspaces is still one person), and
//                     a reviewer credential linked to that Slack id
//   reviewer:<name>   a reviewer credential not linked to Slack
//   oidc:<identity>   someone signed in with single sign-on who is not a linked reviewer (an email, usually)
//   admin             the shared admin token (and the CLI without a reviewer token)
// Ids are rendered per audience by `renderVoter`; agent-facing text never carries Slack markup.
import type { Voter } from "./types.ts";

export const ADMIN_VOTER_ID = "admin";

/** Slack user ids: U… (W… on Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

export function slackVoter(userId: string): Voter {
  return { id: `slack:${userId}`, slackUserId: userId, isOperator: false, via: "slack" };
}

/** A reviewer credential: the Slack user it is linked to, or `reviewer:<name>`. */
export function reviewerVoter(reviewer: { name: string; slackUserId: string | null }): Voter {
  const id = reviewer.slackUserId ? `slack:${reviewer.slackUserId}` : `reviewer:${reviewer.name}`;
  return { id, slackUserId: reviewer.slackUserId, isOperator: false, via: `reviewer:${reviewer.name}` };
}

export const ADMIN_VOTER: Voter = Object.freeze({ id: ADMIN_VOTER_ID, slackUserId: null, isOperator: true, via: ADMIN_VOTER_ID });

/** Who reads the text: a Slack message (mrkdwn, mentions) or the agent (plain text, no Slack markup). */
export type VoterAudience = "slack" | "agent";

type Person =
  | { kind: "slack"; userId: string }
  | { kind: "reviewer"; name: string }
  | { kind: "oidc"; identity: string }
  | { kind: "admin" }
  | { kind: "other"; text: string };

/** Reads a stored voter / decided-by value. Values written before voters were people are understood too. */
export function parseVoterId(value: string): Person {
  if (value === ADMIN_VOTER_ID) return { kind: "admin" };
  const slack = /^slack:(?:[^:]+:)?([UW][A-Z0-9]{2,})$/.exec(value) ?? /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/.exec(value);
  if (slack) return { kind: "slack", userId: slack[1]! };
  const reviewer = /^reviewer:(.+)$/.exec(value);
  if (reviewer) return { kind: "reviewer", name: reviewer[1]! };
  const oidc = /^oidc:(.+)$/.exec(value);
  if (oidc) return { kind: "oidc", identity: oidc[1]! };
  return { kind: "other", text: value };
}

/** One person id (`approval_votes.voter`, `approvals.decided_by`) as the audience should read it. */
export function renderVoter(id: string | null, audience: VoterAudience): string {
  if (!id) return audience === "slack" ? "someone" : "a reviewer";
  const person = parseVoterId(id);
  switch (person.kind) {
    case "admin":
      return audience === "slack" ? "admin" : "an administrator";
    case "slack":
      return audience === "slack" ? `<@${person.userId}>` : `Slack user ${person.userId}`;
    case "reviewer":
      return audience === "slack" ? escapeMrkdwn(person.name) : `reviewer ${plainText(person.name)}`;
    case "oidc":
      return audience === "slack" ? escapeMrkdwn(person.identity) : plainText(person.identity);
    case "other":
      return audience === "slack" ? escapeMrkdwn(person.text) : plainText(person.text);
  }
}

/**
 * Text typed by a reviewer (a deny reason), made readable outside Slack: `<@U123>` → `@U123`,
 * `<#C1|general>` → `#general`, `<!here>` → `@here`, `<https://x|label>` → `label (https://x)`.
 */
export function plainText(text: string): string {
  return text.replace(/<([@#!][^<>]*|[a-z][a-z0-9+.-]*:[^<>]*)>/gi, (_whole, inner: string) => {
    const bar = inner.indexOf("|");
    const target = bar === -1 ? inner : inner.slice(0, bar);
    const label = bar === -1 ? "" : inner.slice(bar + 1);
    switch (target[0]) {
      case "@":
        return label ? `@${label.replace(/^@/, "")}` : target;
      case "#":
        return `#${label || target.slice(1)}`;
      case "!": {
        if (label) return label;
        const [word, id] = target.slice(1).split("^");
        return word === "subteam" && id ? `@${id}` : `@${word}`;
      }
      default:
        return label && label !== target ? `${label} (${target})` : target;
    }
  });
}

function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

// Voters are people: the person ids votes are stored under, and how each audience reads them. Pure functions,
// table-tested.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ADMIN_VOTER, plainText, renderVoter, reviewerVoter, slackVoter } from "../src/approvals/index.ts";

describe("person ids", () => {
  it("a Slack user is slack:<user id>; a linked reviewer is that Slack user; an unlinked one is reviewer:<name>; the admin is admin", () => {
    assert.deepEqual(slackVoter("U0ALICE"), { id: "slack:U0ALICE", slackUserId: "U0ALICE", isOperator: false, via: "slack" });
    assert.deepEqual(reviewerVoter({ name: "alice", slackUserId: "U0ALICE" }), { id: "slack:U0ALICE", slackUserId: "U0ALICE", isOperator: false, via: "reviewer:alice" });
    assert.deepEqual(reviewerVoter({ name: "bob", slackUserId: null }), { id: "reviewer:bob", slackUserId: null, isOperator: false, via: "reviewer:bob" });
    assert.deepEqual(ADMIN_VOTER, { id: "admin", slackUserId: null, isOperator: true, via: "admin" });
  });
});

describe("renderVoter", () => {
  const table: Array<[string | null, string, string]> = [
    // id, Slack mrkdwn, agent-facing text
    ["slack:U0ALICE", "<@U0ALICE>", "Slack user U0ALICE"],
    ["slack:W0GRID", "<@W0GRID>", "Slack user W0GRID"],
    ["reviewer:alice", "alice", "reviewer alice"],
    ["oidc:alice@example.com", "alice@example.com", "alice@example.com"],
    ["oidc:<!here>", "&lt;!here&gt;", "@here"],
    ["admin", "admin", "an administrator"],
    [null, "someone", "a reviewer"],
    // Values stored before voters were people.
    ["<@U0BOB>", "<@U0BOB>", "Slack user U0BOB"],
    ["slack:T0TEAM:U0BOB", "<@U0BOB>", "Slack user U0BOB"],
    ["carol (admin API)", "carol (admin API)", "carol (admin API)"],
    ["<!channel> & co", "&lt;!channel&gt; &amp; co", "@channel & co"],
  ];
  for (const [id, slack, agent] of table) {
    it(`${id} → ${slack} | ${agent}`, () => {
      assert.equal(renderVoter(id, "slack"), slack);
      assert.equal(renderVoter(id, "agent"), agent);
    });
  }
});

describe("plainText (reviewer text shown to agents)", () => {
  const table: Array<[string, string]> = [
    ["ask <@U123>", "ask @U123"],
    ["ask <@U123|alice>", "ask @alice"],
    ["in <#C1|general>", "in #general"],
    ["in <#C1>", "in #C1"],
    ["<!here> and <!subteam^S0OPS|@ops> and <!subteam^S0OPS>", "@here and @ops and @S0OPS"],
    ["see <https://wiki.example/x|the runbook>", "see the runbook (https://wiki.example/x)"],
    ["see <https://wiki.example/x>", "see https://wiki.example/x"],
    ["<mailto:ops@example.com|ops@example.com>", "ops@example.com (mailto:ops@example.com)"],
    ["at <!date^1700000000^{date_short}|Nov 14>", "at Nov 14"],
    ["a < b and c > d, <not markup>", "a < b and c > d, <not markup>"],
  ];
  for (const [input, expected] of table) it(`${input} → ${expected}`, () => assert.equal(plainText(input), expected));
});

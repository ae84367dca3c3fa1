// One call on one screen, for an auditor: whether the hash chain vouches for what is shown, who asked with
// which (redacted) arguments, what the policy decided, who voted what and when, what ran and what the
// upstream answered, and each recorded step with its time. Everything comes from the call's story
// (`getCallStory`), the same object `gatehouse audit show` prints, so both give the same answer.
import { Router } from "express";
import { getCallStory, type CallStory } from "../audit/index.ts";
import type { Database } from "../db/index.ts";
import { askedPanel, chainPanel, decisionPanel, peoplePanel, ranPanel, timelinePanel } from "./call-panels.ts";
import { badge } from "./format.ts";
import { html, type Markup } from "./html.ts";
import { pageHeader, sendPage } from "./layout.ts";
import { notFound } from "./not-found.ts";

export function createCallPage(deps: { database: Database }): Router {
  const router = Router();
  router.get("/audit/calls/:id", async (req, res) => {
    const story = await getCallStory(deps.database, req.params.id);
    if (!story) return notFound(req, res, "There is no call with this id in the audit history.");
    sendPage(req, res, { title: `Call ${story.asked.tool}`, section: "audit", body: callPage(story) });
  });
  return router;
}

export function callPage(story: CallStory): Markup {
  const { call } = story;
  const subtitle = html`<a href="/audit">← Audit history</a> · call <code>${story.callId}</code> on <strong>${story.asked.upstream}</strong>`;
  return html`${pageHeader(story.asked.tool, subtitle, html`${badge(call.decision)} ${badge(call.status)}`)}
${chainPanel(story)}
<div class="call-grid">
  <div class="stack">
    ${askedPanel(story)}
    ${ranPanel(story)}
  </div>
  <div class="stack">
    ${decisionPanel(story)}
    ${story.approval ? peoplePanel(story.approval) : null}
  </div>
</div>
${timelinePanel(story)}`;
}

// Campaign webhook tools: registration, delivery summary and re-sending failed events.
import type { ToolHandlers } from "./common.ts";
import { fail, notFound, ok, timestamp } from "./common.ts";

const WEBHOOK_EVENTS = ["EMAIL_SENT", "EMAIL_OPEN", "EMAIL_LINK_CLICK", "EMAIL_REPLY", "LEAD_UNSUBSCRIBED", "LEAD_CATEGORY_UPDATED"];

export const webhookHandlers: ToolHandlers = {
  smartlead_get_webhooks_by_campaign_id: (args, { state }) => {
    const campaignId = args.number("campaign_id");
    if (!state.campaigns.has(campaignId)) return notFound("Campaign", campaignId);
    return ok({ campaign_id: campaignId, webhooks: [...state.webhooks.values()].filter((webhook) => webhook.campaign_id === campaignId) });
  },

  smartlead_add_or_update_campaign_webhook: (args, { state }) => {
    const campaignId = args.number("campaign_id");
    if (!state.campaigns.has(campaignId)) return notFound("Campaign", campaignId);
    const events = args.array<string>("events");
    const unknown = events.filter((event) => !WEBHOOK_EVENTS.includes(event));
    if (events.length === 0) return fail("events is empty: name at least one event");
    if (unknown.length > 0) return fail(`Unknown webhook event(s) ${unknown.join(", ")}; known events: ${WEBHOOK_EVENTS.join(", ")}`);
    const url = args.string("webhook_url");
    const existing = [...state.webhooks.values()].find((webhook) => webhook.campaign_id === campaignId && webhook.webhook_url === url);
    if (existing) {
      existing.events = [...new Set(events)];
      existing.is_active = args.optionalBoolean("is_active") ?? existing.is_active;
      return ok({ ok: true, created: false, webhook: existing });
    }
    const id = state.nextId("webhook");
    const webhook = {
      id, campaign_id: campaignId, webhook_url: url, events: [...new Set(events)], is_active: args.optionalBoolean("is_active") ?? true,
      created_at: timestamp(state), delivered_count: 0, failed_count: 0, retriggered_count: 0,
    };
    state.webhooks.set(id, webhook);
    return ok({ ok: true, created: true, webhook });
  },

  smartlead_delete_campaign_webhook: (args, { state }) => {
    const campaignId = args.number("campaign_id");
    if (!state.campaigns.has(campaignId)) return notFound("Campaign", campaignId);
    const webhook = state.webhooks.get(args.number("webhook_id"));
    if (!webhook || webhook.campaign_id !== campaignId) return fail(`Webhook ${args.number("webhook_id")} not found on campaign ${campaignId}`);
    state.webhooks.delete(webhook.id);
    return ok({ ok: true, deleted: true, campaign_id: campaignId, webhook_id: webhook.id });
  },

  smartlead_get_webhooks_publish_summary: (args, { state }) => {
    const campaignId = args.optionalNumber("campaign_id");
    if (campaignId !== undefined && !state.campaigns.has(campaignId)) return notFound("Campaign", campaignId);
    const webhooks = [...state.webhooks.values()].filter((webhook) => campaignId === undefined || webhook.campaign_id === campaignId);
    const delivered = webhooks.reduce((total, webhook) => total + webhook.delivered_count, 0);
    const failed = webhooks.reduce((total, webhook) => total + webhook.failed_count, 0);
    return ok({
      campaign_id: campaignId ?? null, start_date: args.optionalString("start_date") ?? null, end_date: args.optionalString("end_date") ?? null,
      delivered, failed, webhooks: webhooks.map(({ id, webhook_url, delivered_count, failed_count }) => ({ id, webhook_url, delivered_count, failed_count })),
    });
  },

  smartlead_retrigger_failed_events: async (args, { state, reportProgress, pauseBetweenSteps }) => {
    const webhookId = args.optionalNumber("webhook_id");
    const campaignId = args.optionalNumber("campaign_id");
    if (webhookId !== undefined && !state.webhooks.has(webhookId)) return notFound("Webhook", webhookId);
    if (campaignId !== undefined && !state.campaigns.has(campaignId)) return notFound("Campaign", campaignId);
    const targets = [...state.webhooks.values()].filter(
      (webhook) => (webhookId === undefined || webhook.id === webhookId) && (campaignId === undefined || webhook.campaign_id === campaignId) && webhook.failed_count > 0,
    );
    const results = [];
    for (const [index, webhook] of targets.entries()) {
      await pauseBetweenSteps();
      const events = webhook.failed_count;
      webhook.delivered_count += events;
      webhook.retriggered_count += events;
      webhook.failed_count = 0;
      results.push({ webhook_id: webhook.id, retriggered_events: events });
      await reportProgress(index + 1, targets.length, `re-sent ${events} event(s) to webhook ${webhook.id}`);
    }
    return ok({ ok: true, retriggered_events: results.reduce((total, result) => total + result.retriggered_events, 0), webhooks: results });
  },
};

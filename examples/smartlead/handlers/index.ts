// Every tool of the demo upstream, by name, grouped by family. server.ts refuses to start when a
// tool in tools.json has no handler here (or the other way round).
import { adminHandlers } from "./admin.ts";
import { analyticsHandlers } from "./analytics.ts";
import { campaignHandlers } from "./campaigns.ts";
import type { ToolHandlers } from "./common.ts";
import { emailAccountHandlers } from "./email-accounts.ts";
import { inboxHandlers } from "./inbox.ts";
import { leadHandlers } from "./leads.ts";
import { spamReportHandlers } from "./spam-reports.ts";
import { spamTestHandlers } from "./spam-tests.ts";
import { statisticsHandlers } from "./statistics.ts";
import { webhookHandlers } from "./webhooks.ts";

export type { ToolContext, ToolHandler, ToolHandlers } from "./common.ts";

export const toolHandlers: ToolHandlers = {
  ...campaignHandlers,
  ...leadHandlers,
  ...inboxHandlers,
  ...emailAccountHandlers,
  ...statisticsHandlers,
  ...analyticsHandlers,
  ...spamTestHandlers,
  ...spamReportHandlers,
  ...webhookHandlers,
  ...adminHandlers,
};

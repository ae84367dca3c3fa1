// Picks the BullMQ backend of this deployment (DESIGN §3): Redis when REDIS_URL is set, otherwise
// BullMQ's PostgreSQL backend on the gateway's own database (embedded PGlite included).
import type { Env } from "../../config/index.ts";
import type { Database } from "../../db/index.ts";
import { EMBEDDED_QUEUE_SCHEMA } from "../../db/embedded.ts";
import type { Logger } from "../../log/index.ts";
import { createApprovalQueues, type ApprovalQueueDeps, type ApprovalQueues } from "./queues.ts";
import type { ApprovalNotifier } from "../types.ts";

export async function startQueues(deps: {
  env: Env;
  database: Database;
  storage: { url: string; isPglite: boolean };
  service: ApprovalQueueDeps["service"];
  notifier: ApprovalNotifier | null;
  logger: Logger;
  onJobEvent?: ApprovalQueueDeps["onJobEvent"];
  retry?: ApprovalQueueDeps["retry"];
  isWorkerStartDeferred?: boolean;
}): Promise<ApprovalQueues> {
  const schema = deps.database.schema;
  const backend: ApprovalQueueDeps["backend"] = deps.env.REDIS_URL
    ? { kind: "redis", url: deps.env.REDIS_URL, prefix: schema === "public" ? "gatehouse" : `gatehouse-${schema}` }
    : {
        kind: "postgres",
        url: deps.storage.url,
        // PGlite ignores per-connection search_path; its instance already lists this schema (db/embedded.ts).
        schema: deps.storage.isPglite ? EMBEDDED_QUEUE_SCHEMA : schema === "public" ? "gatehouse_bullmq" : `${schema}_bullmq`,
      };
  return createApprovalQueues({ backend, service: deps.service, notifier: deps.notifier, logger: deps.logger, onJobEvent: deps.onJobEvent, retry: deps.retry, isWorkerStartDeferred: deps.isWorkerStartDeferred });
}

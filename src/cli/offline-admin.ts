// Managing grants and reviewers without a gateway (bootstrap: the first reviewer before the first start,
// or a gateway that is down). The same functions as the admin API, so the same checks and the same audit
// events, with "admin" as the actor: direct database access is operator access.
import type { z } from "zod";
import { createApprovalControl } from "../approvals/module.ts";
import { createAuditWriter } from "../audit/index.ts";
import { createGrantStore, type GrantAdminDeps } from "../grants/index.ts";
import { silentLogger } from "../log/index.ts";
import { createReviewerStore, type ReviewerAdminDeps } from "../reviewers/index.ts";
import { withStorage } from "./context.ts";
import type { GlobalOptions } from "./usage.ts";
import { CommandFailed } from "./usage.ts";

export const OFFLINE_ACTOR = "admin";

export async function withAdminDeps<T>(options: GlobalOptions, use: (deps: GrantAdminDeps & ReviewerAdminDeps) => Promise<T>): Promise<T> {
  return withStorage(options, async (storage) => {
    const audit = createAuditWriter({ database: storage.database });
    const control = createApprovalControl({ database: storage.database, databaseUrl: storage.isPglite ? null : storage.url, audit, logger: silentLogger() });
    try {
      return await use({ grants: createGrantStore(storage.database), reviewers: createReviewerStore(storage.database), approvals: control.service, audit });
    } finally {
      await control.close();
      await audit.close();
    }
  });
}

/** Input checked with the API's own schema, so a bad name reads the same online and offline. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new CommandFailed(parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "input"}: ${i.message}`).join("; "));
}

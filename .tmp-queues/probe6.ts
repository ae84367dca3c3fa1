import { createApprovalQueues } from "../src/approvals/queues.ts";
import { createLogger } from "../src/log/index.ts";
for (const backend of [{ kind: "redis", url: "redis://127.0.0.1:1", prefix: "x" }, { kind: "postgres", url: "postgres://postgres@127.0.0.1:1/x", schema: "x" }] as const) {
  const t = Date.now();
  try { await createApprovalQueues({ backend, service: {} as never, notifier: null, logger: createLogger("debug"), startTimeoutMs: 2000 }); console.log("started?!"); }
  catch (e) { console.log(backend.kind, Date.now() - t, "ms", (e as Error).message); }
}
await new Promise((r) => setTimeout(r, 3000)); console.log(process.getActiveResourcesInfo());

import { createApprovalQueues } from "../src/approvals/queues.ts";
import { silentLogger } from "../src/log/index.ts";
for (const backend of [{ kind: "redis", url: "redis://127.0.0.1:1", prefix: "x" }, { kind: "postgres", url: "postgres://postgres@127.0.0.1:1/x", schema: "x" }] as const) {
  const t = Date.now();
  try { await createApprovalQueues({ backend, service: {} as never, notifier: null, logger: silentLogger(), startTimeoutMs: 2000 }); console.log("started?!"); }
  catch (e) { console.log(backend.kind, Date.now() - t, "ms", (e as Error).message); }
}
console.log(process.getActiveResourcesInfo());

// `npm run bench:audit`: what committing audit entries costs, without a gateway around it. One writer
// records BENCH_AUDIT_ENTRIES entries one at a time (each its own batch, as allowed calls made one at a
// time are), then as many at 16 in flight (batches form); per entry it prints the wall time, this
// process's CPU and, on PostgreSQL, what the local PostgreSQL processes used (from /proc). The baseline,
// in the same run: a one-row INSERT into a scratch table, committed on its own, the same ways. Storage
// follows DATABASE_URL as everywhere (a fresh schema, dropped afterwards). Never fails on speed.
import { randomUUID } from "node:crypto";
import { createAuditWriter, type AuditEntry } from "../src/audit/index.ts";
import { openTestDatabase } from "../test/helpers/database.ts";
import { servicesCpuMs } from "./lib.ts";

const ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES ?? 3000);

const entry = (): AuditEntry => ({
  event: { type: "call.allowed", actor: "grant:bench", callId: randomUUID(), upstream: "echo", tool: "echo", decision: "allow", rule: "/tools/echo", reason: null, data: { args: { message: "hello" } } },
});

/** Runs `work` ENTRIES times with `inFlight` at once; prints wall time and CPU (here, and PostgreSQL's) per run. */
async function measure(label: string, inFlight: number, work: () => Promise<unknown>): Promise<void> {
  const database = process.env.DATABASE_URL ? await servicesCpuMs() : null;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (sent++ < ENTRIES) await work();
    }),
  );
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const databaseAfter = database === null ? null : await servicesCpuMs();
  const each = (ms: number) => `${(ms / ENTRIES).toFixed(3)} ms`;
  const postgres = database !== null && databaseAfter !== null ? `, ${each(databaseAfter - database)} PostgreSQL CPU` : "";
  console.log(`  ${label}: ${each(wall)} wall, ${each((used.user + used.system) / 1000)} CPU here${postgres} each`);
}

const test = await openTestDatabase({ schemaPrefix: "gh_bench" });
const writer = createAuditWriter({ database: test.database });
try {
  for (let i = 0; i < 300; i++) await writer.record(entry()); // warm-up
  console.log(`audit commits: ${process.env.DATABASE_URL ? "PostgreSQL" : "embedded"}, ${ENTRIES} entries per run`);
  await test.database.pool.query("CREATE TABLE bench_scratch (id uuid PRIMARY KEY, data jsonb)");
  const baseline = () => test.database.pool.query("INSERT INTO bench_scratch VALUES ($1, $2)", [randomUUID(), '{"message":"hello"}']);
  for (const inFlight of [1, 16]) {
    await measure(`one-row INSERT, ${String(inFlight).padStart(2)} in flight`, inFlight, baseline);
    await measure(`audit entry,    ${String(inFlight).padStart(2)} in flight`, inFlight, () => writer.record(entry()));
  }
  console.log(`  (${writer.status().batchesCommitted} audit batches in all)`);
} finally {
  await writer.close();
  await test.close();
}

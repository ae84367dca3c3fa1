// The audit commands: the admin API when a gateway runs, else the database (offline.ts, loaded only then).
// Both answer with the same objects, printed here the same way.
import { formatToolCalls } from "../../audit/format.ts";
import type { VerifyReport } from "../../audit/report.ts";
import type { CallRow } from "../../audit/rows.ts";
import { renderCallStory } from "../../audit/story-text.ts";
import type { CallStory } from "../../audit/story.ts";
import { print } from "../output.ts";
import { onGatewayOrOffline } from "../target.ts";
import { CommandFailed, type ListFormat, type GlobalOptions } from "../usage.ts";
import { renderVerifyReport } from "./verify-text.ts";

export interface CallFilters {
  since?: Date;
  until?: Date;
  tool?: string;
  upstream?: string;
  grant?: string;
  decision?: string;
  status?: string;
  reviewer?: string;
}

export interface CallPage {
  rows: CallRow[];
  nextCursor: string | null;
}

const offline = () => import("./offline.ts");
const EXPORT_PAGE = 1000;

export async function listCalls(options: CallFilters & { limit: number; format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const filters = filtersOf(options);
  const page = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.get<CallPage>("/audit/calls", { ...asQuery(filters), limit: options.limit }),
    async () => (await offline()).listCallsOffline(filters, options.limit, undefined, globals),
  );
  printCalls(page.rows, options.format);
}

export async function exportCalls(options: CallFilters & { format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const filters = filtersOf(options);
  const rows = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => everyPage((cursor) => gateway.get<CallPage>("/audit/calls", { ...asQuery(filters), limit: EXPORT_PAGE, cursor })),
    async () => (await offline()).exportCallsOffline(filters, EXPORT_PAGE, globals),
  );
  printCalls(rows, options.format);
}

export async function showCall(callId: string, options: { format: "text" | "json" }, globals: GlobalOptions): Promise<void> {
  const story = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.get<CallStory>(`/audit/calls/${encodeURIComponent(callId)}`),
    async () => (await offline()).callStoryOffline(callId, globals),
  );
  print(options.format === "json" ? JSON.stringify(story, null, 2) : renderCallStory(story));
}

export interface VerifyCliOptions {
  expectHead?: { seq: number; hash: string };
  checkpoints: string[];
  publicKey: string[];
  format: "text" | "json";
}

/**
 * On the gateway, checkpoints are checked with the gateway's own key. Checkpoint files you kept and keys
 * you trust are yours, on this machine: with --checkpoints or --public-key the database is read directly.
 */
export async function verifyChain(options: VerifyCliOptions, globals: GlobalOptions): Promise<void> {
  const isLocalEvidence = options.checkpoints.length > 0 || options.publicKey.length > 0;
  const verifyOffline = async () => (await offline()).verifyOffline(options, globals);
  const report = isLocalEvidence
    ? await verifyOffline()
    : await onGatewayOrOffline(
        globals,
        "operate",
        (gateway) => gateway.get<VerifyReport>("/audit/verify", { expectHead: options.expectHead && `${options.expectHead.seq}:${options.expectHead.hash}` }),
        verifyOffline,
      );
  print(options.format === "json" ? JSON.stringify(report, null, 2) : renderVerifyReport(report));
  if (!report.ok) {
    process.stderr.write(`${report.problems.map((p) => `  ${p}`).join("\n")}\n`);
    throw new CommandFailed(`audit verification FAILED: ${report.problems.length} problem(s)`);
  }
}

export async function printPublicKey(globals: GlobalOptions): Promise<void> {
  const key = await onGatewayOrOffline(
    globals,
    "operate",
    async (gateway) => (await gateway.get<{ publicKey: { keyId: string; pem: string } }>("/audit/checkpoints", { limit: 1 })).publicKey,
    async () => (await offline()).localPublicKey(globals),
  );
  process.stderr.write(`key id ${key.keyId}\n`);
  print(key.pem);
}

function printCalls(rows: readonly CallRow[], format: ListFormat): void {
  print(formatToolCalls(rows, format));
  const bad = rows.filter((r) => !r.integrity.ok).length;
  if (bad > 0) process.stderr.write(`warning: ${bad} row(s) disagree with the audit chain (CHAIN = PROBLEM); run \`gatehouse audit show <id>\` or \`gatehouse audit verify\`\n`);
}

async function everyPage(fetchPage: (cursor: string | undefined) => Promise<CallPage>): Promise<CallRow[]> {
  const rows: CallRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    rows.push(...page.rows);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

function filtersOf(options: CallFilters): CallFilters {
  const { since, until, tool, upstream, grant, decision, status, reviewer } = options;
  return { since, until, tool, upstream, grant, decision, status, reviewer };
}

function asQuery(filters: CallFilters) {
  return { ...filters, since: filters.since?.toISOString(), until: filters.until?.toISOString() };
}

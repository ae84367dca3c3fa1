// `gatehouse audit verify` and GET /api/audit/verify: the chain walked end to end (head and count), an
// expected head compared, checkpoints checked (signature, and still in the chain), and every tool_calls,
// approvals and approval_votes row compared with its events, including rows whose events are gone and
// events whose rows are gone.
import { asc, gt } from "drizzle-orm";
import { toolCalls, type Database } from "../db/index.ts";
import { isValidSignature, type PublicKeyInfo, type SignedCheckpoint } from "./checkpoints/signing.ts";
import { listCheckpoints, parseCheckpointLines } from "./checkpoints/store.ts";
import { loadCallEvents } from "./events.ts";
import { compareCall, foldCall } from "./fold.ts";
import { checkApproval, loadApprovalEvidence } from "./rows.ts";
import { walkChain, type ChainWalk } from "./verify.ts";

export interface VerifyOptions {
  /** The head recorded earlier (`seq` and `hash`): it must still be in the chain, unchanged. */
  expectHead?: { seq: number; hash: string };
  /** Checkpoint files' contents (JSON lines) with a name for messages. */
  checkpointFiles?: { source: string; text: string }[];
  /** Keys whose checkpoint signatures are believed. */
  trustedKeys?: PublicKeyInfo[];
  /** Compare tool_calls / approvals / approval_votes with their events (default true). */
  isRowCheck?: boolean;
  batchSize?: number;
}

export interface RowProblem {
  table: "tool_calls" | "approvals";
  id: string;
  problems: string[];
}

export interface CheckpointReport {
  /** "database" (the audit_checkpoints table) or the file's name. */
  source: string;
  checked: number;
  newest: { seq: number; hash: string; at: string } | null;
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  head: { seq: number; hash: string } | null;
  /** Events in the chain. */
  events: number;
  chain: { ok: boolean; brokenAt: { seq: number; id: string } | null; problem: string | null };
  expectedHead: { seq: number; hash: string; ok: boolean; problem: string | null } | null;
  rows: { checked: { toolCalls: number; approvals: number; votes: number }; problems: RowProblem[] } | null;
  checkpoints: CheckpointReport[];
  trustedKeyIds: string[];
  /** Every problem above, one line each. */
  problems: string[];
}

export async function verifyAudit(database: Database, options: VerifyOptions = {}): Promise<VerifyReport> {
  const files = (options.checkpointFiles ?? []).map((file) => ({ source: file.source, ...parseCheckpointLines(file.text, file.source) }));
  const stored = await listCheckpoints(database, { limit: 10_000 });
  const marks = new Set([...files.flatMap((f) => f.checkpoints), ...stored].map((c) => c.seq));
  if (options.expectHead) marks.add(options.expectHead.seq);
  const walk = await walkChain(database, { batchSize: options.batchSize, marks });
  const trusted = new Map((options.trustedKeys ?? []).map((k) => [k.keyId, k]));

  const expectedHead = options.expectHead ? checkExpectedHead(options.expectHead, walk) : null;
  const checkpoints = [
    checkCheckpoints("database", stored, [], walk, trusted),
    ...files.map((file) => checkCheckpoints(file.source, file.checkpoints, file.problems, walk, trusted)),
  ];
  const rows = options.isRowCheck === false ? null : await checkAllRows(database, options.batchSize ?? 500);
  const problems = [
    ...(walk.firstBreak ? [`chain: ${walk.firstBreak.problem}`] : []),
    ...(expectedHead?.problem ? [`expected head: ${expectedHead.problem}`] : []),
    ...checkpoints.flatMap((c) => c.problems.map((p) => `checkpoints (${c.source}): ${p}`)),
    ...(rows?.problems ?? []).flatMap((r) => r.problems.map((p) => `${r.table} ${r.id}: ${p}`)),
  ];
  return {
    ok: problems.length === 0,
    head: walk.head,
    events: walk.events,
    chain: { ok: walk.firstBreak === null, brokenAt: walk.firstBreak ? { seq: walk.firstBreak.seq, id: walk.firstBreak.id } : null, problem: walk.firstBreak?.problem ?? null },
    expectedHead,
    rows,
    checkpoints,
    trustedKeyIds: [...trusted.keys()],
    problems,
  };
}

function checkExpectedHead(expected: { seq: number; hash: string }, walk: ChainWalk): NonNullable<VerifyReport["expectedHead"]> {
  const found = walk.marks.get(expected.seq);
  const problem = missingOrChanged(expected.seq, expected.hash, found, walk.head);
  return { ...expected, ok: problem === null, problem };
}

function missingOrChanged(seq: number, hash: string, found: { hash: string } | undefined, head: ChainWalk["head"]): string | null {
  if (!found) {
    return head === null || head.seq < seq
      ? `the chain ends at seq ${head?.seq ?? 0}, before seq ${seq}: the newest events were deleted (truncated)`
      : `the chain has no event at seq ${seq} any more: it was deleted`;
  }
  if (found.hash !== hash) return `event seq ${seq} now has hash ${found.hash}, not ${hash}: the chain was rewritten up to there`;
  return null;
}

function checkCheckpoints(source: string, checkpoints: readonly SignedCheckpoint[], parseProblems: readonly string[], walk: ChainWalk, trusted: ReadonlyMap<string, PublicKeyInfo>): CheckpointReport {
  const problems = [...parseProblems];
  let newest: CheckpointReport["newest"] = null;
  for (const checkpoint of checkpoints) {
    const label = `checkpoint seq ${checkpoint.seq} (${checkpoint.at})`;
    const key = trusted.get(checkpoint.keyId);
    if (!key) problems.push(`${label}: signed by key ${checkpoint.keyId}, which is not trusted here (pass its public key with --public-key)`);
    else if (!isValidSignature(checkpoint, key.publicKey)) problems.push(`${label}: the signature does not match: the checkpoint was altered, or key ${checkpoint.keyId} did not sign it`);
    const found = walk.marks.get(checkpoint.seq);
    const chainProblem = missingOrChanged(checkpoint.seq, checkpoint.hash, found, walk.head);
    if (chainProblem) problems.push(`${label}: ${chainProblem}`);
    else if (found && found.count !== checkpoint.count) problems.push(`${label}: ${checkpoint.count} events led up to it when signed, ${found.count} do now: events before it were deleted or added`);
    if (!newest || checkpoint.seq > newest.seq) newest = { seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at };
  }
  return { source, checked: checkpoints.length, newest, problems };
}

async function checkAllRows(database: Database, pageSize: number): Promise<NonNullable<VerifyReport["rows"]>> {
  const problems: RowProblem[] = [];
  const checked = { toolCalls: 0, approvals: 0, votes: 0 };
  const seenApprovals = new Set<string>();
  const checkApprovals = async (callIds: string[], approvalIds: string[], events: Awaited<ReturnType<typeof loadCallEvents>>) => {
    const evidence = await loadApprovalEvidence(database, callIds, approvalIds, events);
    for (const id of new Set([...evidence.rows.keys(), ...approvalIds])) {
      if (seenApprovals.has(id)) continue;
      seenApprovals.add(id);
      checked.approvals += evidence.rows.has(id) ? 1 : 0;
      checked.votes += evidence.votes.get(id)?.length ?? 0;
      const { integrity } = checkApproval(id, evidence);
      if (!integrity.ok) problems.push({ table: "approvals", id, problems: integrity.problems });
    }
  };

  for (let after = ""; ; ) {
    const page = await database.db.select().from(toolCalls).where(after ? gt(toolCalls.id, after) : undefined).orderBy(asc(toolCalls.id)).limit(pageSize);
    if (page.length === 0) break;
    const events = await loadCallEvents(
      database,
      page.map((r) => r.id),
    );
    const approvalIds: string[] = [];
    for (const row of page) {
      const chain = foldCall(events.get(row.id) ?? []);
      if (chain.approvalId) approvalIds.push(chain.approvalId);
      const { integrity } = compareCall(row, chain);
      checked.toolCalls++;
      if (!integrity.ok) problems.push({ table: "tool_calls", id: row.id, problems: integrity.problems });
    }
    await checkApprovals(
      page.map((r) => r.id),
      approvalIds,
      events,
    );
    after = page.at(-1)!.id;
    if (page.length < pageSize) break;
  }

  // Rows whose events are gone were found above; now events (and approvals, votes) whose rows are gone.
  const orphanCalls = await database.pool.query<{ call_id: string }>(
    `SELECT DISTINCT e.call_id FROM audit_events e WHERE e.call_id IS NOT NULL AND (e.data ? 'call' OR e.data ? 'argsHash')
       AND NOT EXISTS (SELECT 1 FROM tool_calls t WHERE t.id = e.call_id)`,
  );
  for (const { call_id } of orphanCalls.rows) problems.push({ table: "tool_calls", id: call_id, problems: ["the audit chain records this call, but its tool_calls row is missing"] });
  const loose = await database.pool.query<{ id: string }>(
    `SELECT a.id::text FROM approvals a WHERE NOT EXISTS (SELECT 1 FROM tool_calls t WHERE t.id = a.call_id)
     UNION SELECT DISTINCT e.data->>'approvalId' FROM audit_events e WHERE e.type = 'approval.requested'
       AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.id::text = e.data->>'approvalId')
     UNION SELECT DISTINCT v.approval_id::text FROM approval_votes v WHERE NOT EXISTS (SELECT 1 FROM approvals a WHERE a.id = v.approval_id)`,
  );
  const looseIds = loose.rows.map((r) => r.id).filter((id) => !seenApprovals.has(id));
  if (looseIds.length > 0) await checkLooseApprovals(database, looseIds, problems, seenApprovals);
  return { checked, problems };
}

// Approvals whose call row is missing, approvals the chain knows but the table lost, votes without an approval.
async function checkLooseApprovals(database: Database, ids: string[], problems: RowProblem[], seen: Set<string>): Promise<void> {
  const requested = await database.pool.query<{ call_id: string }>(
    "SELECT DISTINCT call_id FROM audit_events WHERE type = 'approval.requested' AND data->>'approvalId' = ANY($1::text[]) AND call_id IS NOT NULL",
    [ids],
  );
  const events = await loadCallEvents(
    database,
    requested.rows.map((r) => r.call_id),
  );
  const evidence = await loadApprovalEvidence(database, [], ids, events);
  const votesOnly = await database.pool.query<{ approval_id: string; voter: string }>("SELECT approval_id::text, voter FROM approval_votes WHERE approval_id::text = ANY($1::text[])", [ids]);
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const { integrity } = checkApproval(id, evidence);
    const orphanVotes = evidence.rows.has(id) ? [] : votesOnly.rows.filter((v) => v.approval_id === id).map((v) => `approval_votes has a vote by ${v.voter} for an approval that is neither in the table nor in the chain`);
    const all = [...integrity.problems, ...orphanVotes];
    if (all.length > 0) problems.push({ table: "approvals", id, problems: all });
  }
}

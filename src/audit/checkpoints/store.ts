// Reading checkpoints back: from the audit_checkpoints table, and from a JSON-lines file (the file sink's
// output, or a copy an auditor kept). Parsing is strict: a line that is not a checkpoint is a problem, not
// something to skip silently.
import { z } from "zod";
import type { Database } from "../../db/index.ts";
import type { SignedCheckpoint } from "./signing.ts";

const CheckpointLine = z
  .object({
    seq: z.number().int().positive(),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    count: z.number().int().nonnegative(),
    at: z.string().min(1),
    keyId: z.string().min(1),
    signature: z.string().min(1),
  })
  .strict();

export function parseCheckpointLines(text: string, source: string): { checkpoints: SignedCheckpoint[]; problems: string[] } {
  const checkpoints: SignedCheckpoint[] = [];
  const problems: string[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`${source}:${index + 1}: not JSON`);
      continue;
    }
    const checked = CheckpointLine.safeParse(parsed);
    if (checked.success) checkpoints.push(checked.data);
    else problems.push(`${source}:${index + 1}: not a checkpoint (${checked.error.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ")})`);
  }
  return { checkpoints, problems };
}

/** Checkpoints recorded in the database, newest first. */
export async function listCheckpoints(database: Database, options: { limit?: number } = {}): Promise<SignedCheckpoint[]> {
  const { rows } = await database.pool.query<{ seq: string; hash: string; count: string; key_id: string; signature: string; created_at: Date }>(
    "SELECT seq, hash, count, key_id, signature, created_at FROM audit_checkpoints ORDER BY seq DESC LIMIT $1",
    [Math.max(1, Math.min(options.limit ?? 100, 10_000))],
  );
  return rows.map((r) => ({ seq: Number(r.seq), hash: r.hash, count: Number(r.count), at: r.created_at.toISOString(), keyId: r.key_id, signature: r.signature }));
}

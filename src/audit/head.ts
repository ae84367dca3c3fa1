// Reading a head as `audit verify` prints it. Apart from the verifier so the CLI can check
// `--expect-head` while it reads the command line, before loading the database layer.
import { InvalidAuditQueryError } from "./query-error.ts";

/** Reads `<seq>:<hash>` (what verify prints as the head); bad input is the caller's usage error. */
export function parseExpectedHead(text: string): { seq: number; hash: string } {
  const match = /^(\d+):([0-9a-f]{64})$/i.exec(text.trim());
  const seq = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(seq) || seq < 1) throw new InvalidAuditQueryError(`--expect-head must be <seq>:<hash> as verify prints it, e.g. 42:${"ab".repeat(32)} (got "${text}").`);
  return { seq, hash: match[2]!.toLowerCase() };
}

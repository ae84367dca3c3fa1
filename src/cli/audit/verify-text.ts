// `audit verify` for people: one line per check, the head to keep for --expect-head, then OK or FAILED.
import type { VerifyReport } from "../../audit/report.ts";

export function renderVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const { chain, head } = report;
  lines.push(`Audit chain: ${report.events} events, ${chain.ok ? "intact" : `BROKEN at seq ${chain.brokenAt?.seq} (id ${chain.brokenAt?.id})`}`);
  lines.push(head ? `Head: seq ${head.seq} hash ${head.hash}   (keep "${head.seq}:${head.hash}" to pass as --expect-head later)` : "Head: none (the chain is empty)");
  if (report.expectedHead) {
    const { seq, ok, problem } = report.expectedHead;
    lines.push(`Expected head seq ${seq}: ${ok ? "present, unchanged" : `FAILED: ${problem}`}`);
  }
  for (const c of report.checkpoints) {
    const where = c.source === "database" ? "Checkpoints in the database" : `Checkpoints in ${c.source}`;
    const newest = c.newest ? `, newest seq ${c.newest.seq} (${c.newest.at})` : "";
    const verdict = c.problems.length > 0 ? `${c.problems.length} PROBLEM(S)` : "signatures valid, all still in the chain";
    lines.push(c.checked === 0 && c.problems.length === 0 ? `${where}: none yet` : `${where}: ${c.checked}${newest}: ${verdict}`);
  }
  if (report.rows) {
    const { checked, problems } = report.rows;
    const counts = `${checked.toolCalls} tool_calls, ${checked.approvals} approvals, ${checked.votes} votes`;
    lines.push(problems.length === 0 ? `Rows: ${counts}: all agree with their events` : `Rows: ${counts}: ${problems.length} row(s) DISAGREE with their events`);
  }
  lines.push(`Trusted checkpoint keys: ${report.trustedKeyIds.length > 0 ? report.trustedKeyIds.join(", ") : "none (pass --public-key)"}`);
  lines.push(report.ok ? "OK" : "FAILED");
  return `${lines.join("\n")}\n`;
}

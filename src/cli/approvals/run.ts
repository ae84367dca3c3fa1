// The approvals commands, over the admin API. Shapes come from the API's own schemas (types only).
import type { z } from "zod";
import { printable, shortTime } from "../../audit/format.ts";
import type { ApprovalView } from "../../http/api/views.ts";
import { formatRows, print, type Column } from "../output.ts";
import { requireGateway } from "../target.ts";
import type { GlobalOptions, ListFormat } from "../usage.ts";

type Approval = z.output<typeof ApprovalView>;

const COLUMNS: Column<Approval>[] = [
  { name: "id", value: (a) => a.id },
  { name: "status", value: (a) => a.status },
  { name: "upstream", value: (a) => a.upstream },
  { name: "tool", value: (a) => a.tool },
  { name: "grant", value: (a) => a.grantName },
  { name: "votes", value: (a) => `${approvesOf(a)}/${a.spec.minApprovals}` },
  { name: "agent_waiting", value: (a) => a.agent.isWaiting },
  { name: "created_at", value: (a) => shortTime(a.createdAt) },
  { name: "expires_at", value: (a) => shortTime(a.expiresAt) },
  { name: "rule", value: (a) => a.rule },
];

export async function listApprovals(options: { status: string[]; all?: boolean; limit: number; format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const statuses = options.all ? undefined : options.status;
  const { approvals } = await gateway.get<{ approvals: Approval[] }>("/approvals", { status: statuses?.join(","), limit: options.limit });
  print(formatRows(approvals, COLUMNS, options.format, `No approvals${statuses ? ` with status ${statuses.join(", ")}` : ""}.`));
}

export async function showApproval(id: string, options: { format: "text" | "json" }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const approval = await gateway.get<Approval>(`/approvals/${encodeURIComponent(id)}`);
  print(options.format === "json" ? JSON.stringify(approval, null, 2) : describeApproval(approval));
}

interface VoteAnswer {
  outcome: "decided" | "recorded";
  voter: string;
  approvals?: number;
  needed?: number;
  approval: Approval;
}

export async function decide(id: string, decision: "approve" | "deny", reason: string | undefined, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "vote");
  const answer = await gateway.send<VoteAnswer>("POST", `/approvals/${encodeURIComponent(id)}/${decision}`, reason === undefined ? {} : { reason });
  print(`Voted as ${answer.voter}.`);
  print(answer.outcome === "decided" ? `Approval ${id} is now ${answer.approval.status}.` : `Vote recorded: ${answer.approvals}/${answer.needed} approvals.`);
}

function approvesOf(approval: Approval): number {
  return approval.votes.filter((v) => v.vote === "approve").length;
}

function describeApproval(a: Approval): string {
  const who = a.spec.approvers.length > 0 ? a.spec.approvers.join(", ") : "any reviewer";
  const lines = [
    `Approval ${a.id}: ${a.status}`,
    `  Tool        ${a.upstream}/${a.tool}${a.exposedTool !== a.tool ? ` (called as ${a.exposedTool})` : ""}`,
    `  Grant       ${a.grantName}${a.grantOwner ? ` (owner ${a.grantOwner})` : ""}, session ${a.sessionId}`,
    `  Rule        ${a.rule ?? "-"}${a.reason ? `: ${a.reason}` : ""}`,
    `  Arguments   ${JSON.stringify(a.argsRedacted)}`,
    `  Agent       ${a.agent.isWaiting ? "waiting for the answer" : "not attached"} (hold mode ${a.holdMode}, returned ${a.agent.returns} time(s))`,
    `  Created     ${shortTime(a.createdAt)}   expires ${shortTime(a.expiresAt)}`,
    `  Needs       ${a.spec.minApprovals} approval(s) from ${who}${a.spec.allowSelfApproval ? "" : "; the grant's owner may not approve"}`,
    `  Votes       ${a.votes.length === 0 ? "none yet" : a.votes.map((v) => `${v.voter} ${v.vote}${v.reason ? ` ("${v.reason}")` : ""} at ${shortTime(v.createdAt)}`).join("; ")}`,
  ];
  if (a.decidedAt) lines.push(`  Decided     ${a.status} by ${a.decidedBy ?? "-"} at ${shortTime(a.decidedAt)}${a.decisionReason ? `: ${a.decisionReason}` : ""}`);
  if (a.executedAt) lines.push(`  Ran         at ${shortTime(a.executedAt)}${a.durationMs === null ? "" : `, ${a.durationMs} ms`}${a.error ? `: ${a.error}` : ""}`);
  if (a.integrity) lines.push(`  Chain       ${a.integrity.ok ? "this row and its votes agree with the audit chain" : `PROBLEM: ${a.integrity.problems.join("; ")}`}`);
  // Arguments, reasons and errors come from agents and upstreams: no terminal escapes reach the screen.
  return `${lines.map(printable).join("\n")}\n`;
}

// `gatehouse approvals`: list, show and decide held calls. Held calls are live work, so these commands
// talk to the running gateway's admin API (the agent gets its answer from there); the vote is cast as the
// person the token belongs to: --token, GATEHOUSE_REVIEWER_TOKEN, else the admin token.
import { InvalidArgumentError, Option, type Command } from "commander";
import { OPEN_STATUSES, TERMINAL_STATUSES } from "../../approvals/types.ts";
import { globalOptions, listFormatOptions, positiveIntegerUpTo, showFormatOption, UsageError } from "../usage.ts";

const STATUSES: readonly string[] = [...OPEN_STATUSES, ...TERMINAL_STATUSES];

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command("approvals").description("List, show and decide held calls on the running gateway (works without Slack)");

  const list = approvals
    .command("list")
    .description("Approvals, newest first")
    .option("--status <statuses>", `comma-separated, from: ${STATUSES.join(", ")}`, parseStatuses, ["pending"])
    .option("--all", "every status")
    .option("--limit <n>", "at most this many (1-500)", positiveIntegerUpTo(500), 100);
  for (const option of listFormatOptions()) list.addOption(option);
  list.action(async (options, command: Command) => (await import("./run.ts")).listApprovals(options, globalOptions(command)));

  approvals
    .command("show")
    .description("One approval: the call, its arguments (redacted), the rule, votes, and what ran")
    .argument("<id>", "approval id")
    .addOption(showFormatOption())
    .action(async (id: string, options, command: Command) => (await import("./run.ts")).showApproval(id, options, globalOptions(command)));

  for (const decision of ["approve", "deny"] as const) {
    approvals
      .command(decision)
      .description(decision === "approve" ? "Approve a held call" : "Deny a held call (the agent sees the reason)")
      .argument("<id>", "approval id")
      .option("-r, --reason <text>", "reason shown to the agent and in the audit")
      .addOption(new Option("--as <name>").hideHelp())
      .action(async (id: string, options: { reason?: string; as?: string }, command: Command) => {
        if (options.as !== undefined) {
          throw new UsageError("--as is no longer accepted: a vote is cast as a person. Pass a reviewer's token (--token or GATEHOUSE_REVIEWER_TOKEN) to vote as that reviewer; the admin token votes as admin.");
        }
        await (await import("./run.ts")).decide(id, decision, options.reason, globalOptions(command));
      });
  }
}

function parseStatuses(value: string): string[] {
  const statuses = value.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = statuses.filter((s) => !STATUSES.includes(s));
  if (statuses.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`Unknown status ${unknown.join(", ") || "(none given)"}: use ${STATUSES.join(", ")}.`);
  return statuses;
}

// `gatehouse approvals`: list and decide held calls without Slack. A vote is cast as a person: the reviewer
// whose token is given (--token or GATEHOUSE_REVIEWER_TOKEN), else "admin" (database access is operator access).
import { Option, type Command } from "commander";
import { createApprovalControl } from "../approvals/module.ts";
import { ADMIN_VOTER, reviewerVoter, type ApprovalStatus, type Voter } from "../approvals/index.ts";
import { createAuditWriter } from "../audit/index.ts";
import { silentLogger } from "../log/index.ts";
import type { StorageHandles } from "../main.ts";
import { createReviewerStore } from "../reviewers/index.ts";
import { createSlackClient, createSlackDirectory } from "../slack/index.ts";
import { print, withStorage, type CliContext } from "./context.ts";

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command("approvals").description("List and decide held calls (works without Slack)");

  approvals
    .command("list")
    .description("List approvals, newest first")
    .option("--status <statuses>", "comma-separated, e.g. pending or denied,expired", "pending")
    .option("--all", "every status")
    .option("--json", "JSON output")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { status: string; all?: boolean; json?: boolean; config?: string }) => {
      await withControl(options.config, async ({ service }) => {
        const statuses = options.all ? undefined : (options.status.split(",") as ApprovalStatus[]);
        const rows = await service.list({ statuses, limit: 200 });
        if (options.json) return print(JSON.stringify(rows.map(({ argsSealed: _sealed, ...rest }) => rest), null, 2));
        if (rows.length === 0) return print(`No approvals${statuses ? ` with status ${statuses.join(", ")}` : ""}.`);
        for (const a of rows) {
          const votes = `${a.votes.filter((v) => v.vote === "approve").length}/${a.spec.minApprovals}`;
          print(`${a.id}  ${a.status.padEnd(15)} ${`${a.upstream}/${a.tool}`.padEnd(50)} grant=${a.grantName} votes=${votes} expires=${a.expiresAt.toISOString()}`);
        }
      });
    });

  for (const decision of ["approve", "deny"] as const) {
    approvals
      .command(decision)
      .description(decision === "approve" ? "Approve a held call" : "Deny a held call (the agent sees the reason)")
      .argument("<id>", "approval id")
      .option("-r, --reason <text>", "reason shown to the agent and in the audit")
      .option("--token <token>", "vote as the reviewer this token belongs to (default: $GATEHOUSE_REVIEWER_TOKEN, else as admin)")
      .addOption(new Option("--as <name>").hideHelp())
      .option("-c, --config <file>", "gatehouse config file")
      .action(async function (this: Command, id: string, options: { reason?: string; token?: string; as?: string; config?: string }) {
        if (options.as !== undefined) {
          this.error("error: --as is no longer accepted: a vote is cast as a person. Pass a reviewer's token (--token or GATEHOUSE_REVIEWER_TOKEN) to vote as that reviewer; without one the CLI votes as admin.");
        }
        await withControl(options.config, async ({ service }, storage, env) => {
          const token = options.token ?? env.GATEHOUSE_REVIEWER_TOKEN;
          let voter: Voter = ADMIN_VOTER;
          if (token) {
            const reviewer = await createReviewerStore(storage.database).authenticate(token);
            if (!reviewer) return fail("the reviewer token is not valid (unknown, or its reviewer was removed); nothing was voted");
            voter = reviewerVoter(reviewer);
          }
          print(`Voting as ${describeVoter(voter)}.`);
          const outcome = await service.vote(id, { voter, vote: decision, reason: options.reason });
          if (outcome.kind === "decided" || outcome.kind === "recorded") {
            print(outcome.kind === "decided" ? `Approval ${id} is now ${outcome.approval.status}.` : `Vote recorded: ${outcome.approvals}/${outcome.needed} approvals.`);
            return;
          }
          fail(
            outcome.kind === "not_found"
              ? `no approval ${id}`
              : outcome.kind === "already_decided"
                ? `approval ${id} is already ${outcome.approval.status}; nothing changed`
                : outcome.kind === "duplicate"
                  ? `${voter.id} already voted on ${id}; a person's vote counts once`
                  : `${voter.id} may not ${decision} this call: ${outcome.reason}`,
          );
        });
      });
  }
}

function describeVoter(voter: Voter): string {
  if (voter.isOperator) return "admin (no reviewer token: database access is operator access)";
  return `${voter.id} (${voter.via.replace(":", " ")})`;
}

function fail(why: string): void {
  process.stderr.write(`gatehouse: ${why}\n`);
  process.exitCode = 1;
}

type Control = ReturnType<typeof createApprovalControl>;

async function withControl(configPath: string | undefined, use: (control: Control, storage: StorageHandles, env: CliContext["env"]) => Promise<void>): Promise<void> {
  await withStorage(configPath, async (storage: StorageHandles, context) => {
    const audit = createAuditWriter({ database: storage.database });
    const logger = silentLogger();
    // With Slack configured, a reviewer linked to a Slack id is checked against approver user groups too.
    const { SLACK_BOT_TOKEN: botToken, SLACK_API_URL: apiUrl } = context.env;
    const directory = botToken ? createSlackDirectory(createSlackClient({ botToken, apiUrl, logger })) : null;
    const control = createApprovalControl({ database: storage.database, databaseUrl: storage.isPglite ? null : storage.url, audit, logger, isApprover: directory?.isApprover });
    try {
      await use(control, storage, context.env);
    } finally {
      await control.close();
      await audit.close();
    }
  });
}

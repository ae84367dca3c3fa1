// `gatehouse reviewers`: the people who decide held calls over the API or the CLI, each with their own token
// (shown once, stored as a SHA-256). `--slack U…` makes a reviewer the same person as that Slack user.
import type { Command } from "commander";
import { createReviewerStore } from "../reviewers/index.ts";
import { print, withStorage } from "./context.ts";

export function registerReviewerCommands(program: Command): void {
  const reviewers = program.command("reviewers").description("Reviewer credentials: people who decide held calls over the API or CLI");
  reviewers
    .command("add")
    .description("Add a reviewer and print their token once")
    .argument("<name>", "the reviewer's name, shown in Slack and the audit trail")
    .option("--slack <userId>", "their Slack user id (U…): a Slack click and an API vote by them count as one person")
    .option("--oidc <identity>", "their single sign-on identity (email): signing in to the dashboard with it acts as this reviewer")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (name: string, options: { slack?: string; oidc?: string; config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        const added = await createReviewerStore(database).add(name, { slackUserId: options.slack, oidcIdentity: options.oidc });
        if (!added.ok) {
          process.stderr.write(`gatehouse: ${added.reason}\n`);
          process.exitCode = 1;
          return;
        }
        const { reviewer, token } = added;
        const person = reviewer.slackUserId ? `the same person as Slack user ${reviewer.slackUserId}` : "not linked to a Slack user";
        print(`Added reviewer "${reviewer.name}" (votes as ${reviewer.personId}: ${person}). Their token (shown only now; only a hash is stored):\n\n  ${token}\n`);
        if (reviewer.oidcIdentity) print(`Signing in to the dashboard with single sign-on as ${reviewer.oidcIdentity} acts as this reviewer.`);
        print(`Use it as: Authorization: Bearer ${token} on /api/approvals, or gatehouse approvals approve|deny <id> --token ${token}`);
      });
    });
  reviewers
    .command("list")
    .description("List reviewers (tokens are never shown)")
    .option("--all", "include removed reviewers")
    .option("--json", "JSON output")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { all?: boolean; json?: boolean; config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        const rows = await createReviewerStore(database).list({ includeRemoved: options.all });
        if (options.json) return print(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return print("No reviewers. Add one with: gatehouse reviewers add <name> [--slack U…]");
        for (const r of rows) {
          const state = r.removedAt ? `removed ${r.removedAt.toISOString()}` : "active";
          print(`${r.name.padEnd(24)} ${r.personId.padEnd(28)} ${state.padEnd(34)} created=${r.createdAt.toISOString()}`);
        }
      });
    });
  reviewers
    .command("remove")
    .description("Remove a reviewer: their token stops working at once")
    .argument("<name>", "reviewer name")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (name: string, options: { config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        if (!(await createReviewerStore(database).remove(name))) {
          process.stderr.write(`gatehouse: no active reviewer named "${name}"\n`);
          process.exitCode = 1;
          return;
        }
        print(`Removed reviewer "${name}": their token no longer works.`);
      });
    });
}

// `gatehouse reviewers`: the people who decide held calls over the API, the CLI or the dashboard, each with
// their own token (shown once, stored as a SHA-256). Through the running gateway's admin API, or on the
// database when none runs (adding the first reviewers before a start).
import type { Command } from "commander";
import { globalOptions, listFormatOptions } from "../usage.ts";

export function registerReviewerCommands(program: Command): void {
  const reviewers = program.command("reviewers").description("Reviewer credentials: people who decide held calls over the API, CLI or dashboard");
  reviewers
    .command("add")
    .description("Add a reviewer and print their token once")
    .argument("<name>", "the reviewer's name, shown in Slack and the audit trail")
    .option("--slack <userId>", "their Slack user id (U…): a Slack click and an API vote by them count as one person")
    .option("--oidc <identity>", "their single sign-on identity (email): signing in to the dashboard with it acts as this reviewer")
    .action(async (name: string, options: { slack?: string; oidc?: string }, command: Command) => (await import("./run.ts")).addReviewer(name, options, globalOptions(command)));

  const list = reviewers.command("list").description("List reviewers (tokens are never shown)").option("--all", "include removed reviewers");
  for (const option of listFormatOptions()) list.addOption(option);
  list.action(async (options, command: Command) => (await import("./run.ts")).listReviewers(options, globalOptions(command)));

  reviewers
    .command("remove")
    .description("Remove a reviewer: their token and dashboard sessions stop working at once")
    .argument("<name>", "reviewer name")
    .action(async (name: string, _options: unknown, command: Command) => (await import("./run.ts")).removeReviewer(name, globalOptions(command)));
}

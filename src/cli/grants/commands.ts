// `gatehouse grants`: agent credentials. Through the running gateway's admin API, or on the database
// when none runs (creating the first grants before a start).
import type { Command } from "commander";
import { globalOptions, listFormatOptions, UsageError } from "../usage.ts";

export function registerGrantCommands(program: Command): void {
  const grants = program.command("grants").description("Agent credentials (bearer tokens for /mcp)");
  grants
    .command("create")
    .description("Create a grant and print its token once")
    .requiredOption("-n, --name <name>", "grant name, shown in audit and Slack")
    .option("--owner <slackUserId>", "the person responsible for this agent (cannot approve its calls)")
    .action(async (options: { name: string; owner?: string }, command: Command) => (await import("./run.ts")).createGrant(options, globalOptions(command)));

  const list = grants.command("list").description("List grants, revoked ones included");
  for (const option of listFormatOptions()) list.addOption(option);
  list.action(async (options, command: Command) => (await import("./run.ts")).listGrants(options, globalOptions(command)));

  grants
    .command("revoke")
    .description("Revoke a grant: its token gets HTTP 401 from then on, and its held calls are cancelled")
    .argument("[name]", "grant name")
    .option("-n, --name <name>", "grant name")
    .action(async (positional: string | undefined, options: { name?: string }, command: Command) => {
      const name = positional ?? options.name;
      if (!name) throw new UsageError("grants revoke needs a grant name: gatehouse grants revoke <name>");
      await (await import("./run.ts")).revokeGrant(name, globalOptions(command));
    });
}

// The command tree: every command with its options and help, and nothing else. Each action imports its
// module when it runs, so `gatehouse --help` and a command that talks to the gateway never load the
// gateway, the database layer or the MCP SDK.
import { Command } from "commander";
import { registerApprovalCommands } from "./approvals/commands.ts";
import { registerAuditCommands } from "./audit/commands.ts";
import { registerDbCommands } from "./db.ts";
import { registerGrantCommands } from "./grants/commands.ts";
import { registerPolicyCommands } from "./policy/commands.ts";
import { registerReviewerCommands } from "./reviewers/commands.ts";
import { registerServeCommands } from "./serve/commands.ts";
import { registerUpstreamCommands } from "./upstreams/commands.ts";

export const VERSION = "0.1.0";

export function buildProgram(): Command {
  const program = new Command("gatehouse")
    .description("Human-in-the-loop approval gateway for MCP tool calls")
    .version(VERSION)
    .option("--url <url>", "the gateway's URL (default: $GATEHOUSE_URL, else the gateway running from the data directory)")
    .option("--token <token>", "admin or reviewer token for the gateway's API (default: $GATEHOUSE_TOKEN, then $GATEHOUSE_ADMIN_TOKEN / $GATEHOUSE_REVIEWER_TOKEN)")
    .option("--data-dir <dir>", "data directory (default: $GATEHOUSE_DATA_DIR, else storage.dataDir of the config, else .gatehouse)")
    .option("-c, --config <file>", "gatehouse config file (default: $GATEHOUSE_CONFIG, else ./gatehouse.json, else the demo)")
    // Subcommands inherit these: their help lists the global options too, errors are exceptions instead of
    // process.exit, and messages are one line.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(oneLine(message)) })
    .addHelpText(
      "after",
      "\nCommands talk to the running gateway's admin API; without one, audit, grants, reviewers and policy validate\nwork on the database directly. See docs/cli.md. Exit codes: 0 ok, 1 failed, 2 usage error.",
    );
  registerServeCommands(program);
  registerApprovalCommands(program);
  registerAuditCommands(program);
  registerPolicyCommands(program);
  registerGrantCommands(program);
  registerReviewerCommands(program);
  registerUpstreamCommands(program);
  registerDbCommands(program);
  return program;
}

/** Commander's "error: …\n(Did you mean …?)" as one line: "gatehouse: … (Did you mean …?)". */
function oneLine(message: string): string {
  return `gatehouse: ${message.trim().replace(/^error: /, "").replace(/\s*\n\s*/g, " ")}\n`;
}

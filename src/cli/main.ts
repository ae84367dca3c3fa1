// The `gatehouse` command. Each subcommand lives in its own file; this one wires them and maps
// errors to a clear message and a non-zero exit code.
import { Command, CommanderError } from "commander";
import { InvalidAuditQueryError } from "../audit/index.ts";
import { isGatewayError } from "../errors.ts";
import { registerApprovalCommands } from "./approvals.ts";
import { registerAuditCommands } from "./audit.ts";
import { registerDbCommands } from "./db.ts";
import { registerGrantCommands } from "./grants.ts";
import { registerPolicyCommands } from "./policy.ts";
import { registerReviewerCommands } from "./reviewers.ts";
import { registerServeCommands } from "./serve.ts";

export function buildProgram(): Command {
  const program = new Command("gatehouse")
    .description("Human-in-the-loop approval gateway for MCP tool calls")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError();
  registerServeCommands(program);
  registerPolicyCommands(program);
  registerGrantCommands(program);
  registerApprovalCommands(program);
  registerReviewerCommands(program);
  registerAuditCommands(program);
  registerDbCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    // Our own errors and bad audit filters are the user's to fix: a message, no stack trace.
    if (isGatewayError(error) || error instanceof InvalidAuditQueryError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`gatehouse: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}

// The `gatehouse` command: read the command line, run the command, and end every way a command can end
// with one clear line and its exit code: 0 ok, 1 failed, 2 usage error. Stack traces are for bugs only.
import { CommanderError } from "commander";
import { InvalidAuditQueryError } from "../audit/query-error.ts";
import { isGatewayError } from "../errors.ts";
import { buildProgram } from "./program.ts";
import { CommandFailed, UsageError } from "./usage.ts";

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
  }
  if (error instanceof UsageError || error instanceof InvalidAuditQueryError) {
    fail(error.message);
    return 2;
  }
  if (error instanceof CommandFailed) {
    fail(error.message);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
    return 1;
  }
  if (isGatewayError(error)) {
    fail(error.message);
    return 1;
  }
  process.stderr.write(`gatehouse: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
  return 1;
}

function fail(message: string): void {
  process.stderr.write(`gatehouse: ${message}\n`);
}

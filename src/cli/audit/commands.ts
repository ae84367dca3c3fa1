// `gatehouse audit`: list and export calls (each row checked against the hash chain), show one call's
// whole story, verify the chain (head, expected head, checkpoints, rows), print the checkpoint key. On the
// running gateway's admin API when one runs; straight from the database otherwise (an auditor with a copy
// of it needs no gateway). Filters are checked while the command line is read: a bad time is exit 2.
import { InvalidArgumentError, type Command } from "commander";
import { parseExpectedHead } from "../../audit/head.ts";
import { collect, globalOptions, listFormatOptions, parseTime, positiveIntegerUpTo, showFormatOption } from "../usage.ts";

const run = () => import("./run.ts");

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("Review the audit history and verify the chain");

  withFilters(audit.command("list").description("List tool calls, newest first, each checked against the audit chain"))
    .option("--limit <n>", "rows (1-1000)", positiveIntegerUpTo(1000), 50)
    .action(async (options, command: Command) => (await run()).listCalls(options, globalOptions(command)));

  withFilters(audit.command("export").description("Export every matching tool call, each checked against the audit chain"), "csv").action(async (options, command: Command) =>
    (await run()).exportCalls(options, globalOptions(command)),
  );

  audit
    .command("show")
    .description("Everything about one call: who asked, arguments, rule, votes, what ran, the answer, timings, chain check")
    .argument("<call-id>", "the call's id (the ID column of `audit list`)")
    .addOption(showFormatOption())
    .action(async (callId: string, options, command: Command) => (await run()).showCall(callId, options, globalOptions(command)));

  audit
    .command("verify")
    .description("Walk the hash chain, print its head, compare rows with their events, check checkpoints")
    .option("--expect-head <seq:hash>", "a head printed earlier: fail if the chain no longer holds it (truncated or rewritten)", parseHead)
    .option("--checkpoints <file>", "a checkpoint file (JSON lines) you kept; repeatable; reads the database directly (default: the configured file, offline)", collect, [])
    .option("--public-key <file>", "also trust checkpoints signed by this Ed25519 public key (PEM); repeatable; reads the database directly", collect, [])
    .addOption(showFormatOption())
    .action(async (options, command: Command) => (await run()).verifyChain(options, globalOptions(command)));

  audit
    .command("public-key")
    .description("Print the Ed25519 public key that verifies this gateway's audit checkpoints (PEM)")
    .action(async (_options: unknown, command: Command) => (await run()).printPublicKey(globalOptions(command)));
}

function withFilters(command: Command, defaultFormat: "table" | "csv" = "table"): Command {
  command
    .option("--since <when>", "e.g. 1h, 30m, 2d or an ISO date", parseTime)
    .option("--until <when>", "e.g. 10m or an ISO date", parseTime)
    .option("--tool <glob>", "tool name or glob, e.g. smartlead_get_*")
    .option("--upstream <name>")
    .option("--grant <name>")
    .option("--decision <decision>", "allow | deny | hide | rate_limited | require_approval")
    .option("--status <status>", "succeeded | failed | refused | forwarded | denied | expired | …")
    .option("--reviewer <who>", "anyone who voted on (or decided) a held call, e.g. alice or U012AB3CD");
  for (const option of listFormatOptions(defaultFormat)) command.addOption(option);
  return command;
}

function parseHead(value: string): { seq: number; hash: string } {
  try {
    return parseExpectedHead(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

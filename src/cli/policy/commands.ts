// `gatehouse policy`: read, check, compare, try out and change each upstream's policy on the running
// gateway (versions, dry run, effective decisions, save, rollback), and the local tools that need no
// gateway: validate a file (online against the upstream it is for, offline on its own), explain one
// decision, generate a starter policy from an upstream's tools.
import type { Command } from "commander";
import { globalOptions, listFormatOptions, parseNonNegativeInteger, parsePositiveInteger, positiveIntegerUpTo, showFormatOption } from "../usage.ts";

const online = () => import("./online.ts");
const local = () => import("./local.ts");

export function registerPolicyCommands(program: Command): void {
  const policy = program.command("policy").description("Read, check, try out and change policies");

  withListFormat(policy.command("list").description("Each upstream's policy: file, newest version, whether it is loaded")).action(async (options, command: Command) =>
    (await online()).listPolicies(options, globalOptions(command)),
  );

  policy
    .command("show")
    .description("An upstream's policy text as on disk (or one saved version)")
    .argument("<upstream>", "upstream name")
    .argument("[version]", "a saved version instead of the file", parsePositiveInteger)
    .addOption(showFormatOption())
    .action(async (upstream: string, version: number | undefined, options, command: Command) => (await online()).showPolicy(upstream, version, options, globalOptions(command)));

  policy
    .command("validate")
    .alias("check")
    .description("Check a policy file: against its upstream on the running gateway, else on its own (with --config, also against the upstream's tools)")
    .argument("<file>", "policy file")
    .option("-u, --upstream <name>", "the upstream the policy is for (default: the one whose policy file this is)")
    .action(async (file: string, options: { upstream?: string }, command: Command) => (await online()).validatePolicy(file, options, globalOptions(command)));

  policy
    .command("diff")
    .description("Unified diff of a candidate file against the newest saved version")
    .argument("<upstream>", "upstream name")
    .argument("<file>", "candidate policy file")
    .action(async (upstream: string, file: string, _options: unknown, command: Command) => (await online()).diffPolicy(upstream, file, globalOptions(command)));

  withListFormat(
    policy
      .command("dry-run")
      .description("What a candidate would have decided for the last audited calls, and which decisions change")
      .argument("<upstream>", "upstream name")
      .argument("<file>", "candidate policy file")
      .option("--limit <n>", "replay at most this many recent calls (1-1000, default 200)", positiveIntegerUpTo(1000)),
  ).action(async (upstream: string, file: string, options, command: Command) => (await online()).dryRunPolicy(upstream, file, options, globalOptions(command)));

  policy
    .command("apply")
    .alias("save")
    .description("Save a file as the upstream's new policy version: validated, written atomically, in force when this returns")
    .argument("<upstream>", "upstream name")
    .argument("<file>", "policy file")
    .option("--expected-version <n>", "refuse if someone saved since this version", parseNonNegativeInteger)
    .option("-m, --comment <text>", "why, kept with the version")
    .action(async (upstream: string, file: string, options, command: Command) => (await online()).applyPolicy(upstream, file, options, globalOptions(command)));

  withListFormat(policy.command("versions").description("Every saved version, newest first").argument("<upstream>", "upstream name")).action(
    async (upstream: string, options, command: Command) => (await online()).listVersions(upstream, options, globalOptions(command)),
  );

  policy
    .command("rollback")
    .description("Restore an earlier version (recorded as a new version)")
    .argument("<upstream>", "upstream name")
    .argument("<version>", "version to restore", parsePositiveInteger)
    .option("--expected-version <n>", "refuse if someone saved since this version", parseNonNegativeInteger)
    .option("-m, --comment <text>", "why, kept with the version")
    .action(async (upstream: string, version: number, options, command: Command) => (await online()).rollbackPolicy(upstream, version, options, globalOptions(command)));

  withListFormat(
    policy
      .command("effective")
      .description("Every tool of an upstream with its effective decision for a grant")
      .argument("<upstream>", "upstream name")
      .option("-g, --grant <name>", "decide conditions on grant.* for this grant")
      .option("-f, --file <candidate>", "for a candidate policy file instead of the policy in force"),
  ).action(async (upstream: string, options, command: Command) => (await online()).showEffective(upstream, options, globalOptions(command)));

  policy
    .command("explain")
    .description("Show the decision a policy file makes for one call (no gateway needed)")
    .requiredOption("-p, --policy <file>", "policy file")
    .requiredOption("-t, --tool <name>", "tool name as the upstream names it")
    .option("-a, --args <json>", "tool arguments as JSON", "{}")
    .option("-g, --grant <name>", "grant name", "cli")
    .option("--session <id>", "session id", "cli")
    .option("--json", "machine-readable output")
    .action(async (options) => (await local()).explainPolicy(options));

  policy
    .command("init")
    .description("Generate a starter policy from an upstream's tools/list (connects to the upstream itself)")
    .requiredOption("-u, --upstream <name>", "upstream name from the config")
    .option("-d, --default <action>", "action for tools that are neither read-only nor destructive: allow | deny | require_approval", "require_approval")
    .option("-o, --out <file>", "write to this file instead of stdout")
    .action(async (options, command: Command) => (await local()).initPolicy(options, globalOptions(command)));
}

function withListFormat(command: Command): Command {
  for (const option of listFormatOptions()) command.addOption(option);
  return command;
}

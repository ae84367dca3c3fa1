// `gatehouse audit`: list and export calls (each row checked against the hash chain), show one call's
// whole story, verify the chain end to end (head, expected head, checkpoints, rows), print the public key
// that verifies checkpoints. Exit codes: 0 ok, 1 problems found (or failed), 2 usage error.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Option, type Command } from "commander";
import {
  checkpointFile,
  formatToolCalls,
  getCallStory,
  listToolCalls,
  parseExpectedHead,
  parsePublicKey,
  parseSigningKey,
  parseSince,
  readSigningKeyFile,
  renderCallStory,
  SIGNING_KEY_FILE,
  verifyAudit,
  type CallRow,
  type PublicKeyInfo,
  type ToolCallFilters,
  type VerifyReport,
} from "../audit/index.ts";
import { loadCliContext, print, withStorage, type CliContext } from "./context.ts";

interface ListOptions {
  since?: string;
  until?: string;
  tool?: string;
  upstream?: string;
  grant?: string;
  decision?: string;
  status?: string;
  reviewer?: string;
  limit: string;
  format: "table" | "json" | "csv";
  config?: string;
}

interface VerifyCliOptions {
  expectHead?: string;
  checkpoints: string[];
  publicKey: string[];
  format: "text" | "json";
  config?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").description("Review the audit history");
  const addFilters = (command: Command) =>
    command
      .option("--since <when>", "e.g. 1h, 30m, 2d or an ISO date")
      .option("--until <when>", "e.g. 10m or an ISO date")
      .option("--tool <glob>", "tool name or glob, e.g. smartlead_get_*")
      .option("--upstream <name>")
      .option("--grant <name>")
      .option("--decision <decision>", "allow | deny | hide | rate_limited | require_approval")
      .option("--status <status>", "succeeded | failed | refused | forwarded | denied | expired | …")
      .option("--reviewer <who>", "anyone who voted on (or decided) a held call, e.g. alice or U012AB3CD")
      .option("-c, --config <file>", "gatehouse config file");

  addFilters(audit.command("list").description("List tool calls, newest first, each checked against the audit chain"))
    .option("--limit <n>", "rows", "50")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json", "csv"]).default("table"))
    .action(async (options: ListOptions) => {
      await withStorage(options.config, async ({ database }) => {
        const page = await listToolCalls(database, { ...filters(options), limit: Number(options.limit) });
        print(formatToolCalls(page.rows, options.format));
        warnAboutProblems(page.rows);
      });
    });

  addFilters(audit.command("export").description("Export every matching tool call, each checked against the audit chain"))
    .addOption(new Option("--format <format>", "output format").choices(["json", "csv"]).default("csv"))
    .action(async (options: ListOptions) => {
      await withStorage(options.config, async ({ database }) => {
        const rows: CallRow[] = [];
        let cursor: string | undefined;
        do {
          const page = await listToolCalls(database, { ...filters(options), limit: 1000, cursor });
          rows.push(...page.rows);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        print(formatToolCalls(rows, options.format));
        warnAboutProblems(rows);
      });
    });

  audit
    .command("show")
    .description("Everything about one call: who asked, arguments, rule, votes, what ran, the answer, timings, chain check")
    .argument("<call-id>", "the call's id (the ID column of `audit list`)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (callId: string, options: { format: "text" | "json"; config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        const story = await getCallStory(database, callId);
        if (!story) {
          process.stderr.write(`gatehouse: no call ${callId} in the audit history\n`);
          process.exitCode = 1;
          return;
        }
        print(options.format === "json" ? JSON.stringify(story, null, 2) : renderCallStory(story));
      });
    });

  audit
    .command("verify")
    .description("Walk the hash chain, print its head, compare rows with their events, check checkpoints")
    .option("--expect-head <seq:hash>", "a head printed earlier: fail if the chain no longer holds it (truncated or rewritten)")
    .option("--checkpoints <file>", "a checkpoint file (JSON lines) to check; repeatable (default: the configured file, if present)", collect, [])
    .option("--public-key <file>", "trust checkpoints signed by this Ed25519 public key (PEM); repeatable", collect, [])
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: VerifyCliOptions) => {
      const context = await loadCliContext(options.config);
      const inputs = await readVerifyInputs(options, context);
      if (!inputs.ok) {
        process.stderr.write(`gatehouse: ${inputs.message}\n`);
        process.exitCode = 2;
        return;
      }
      await withStorage(options.config, async ({ database }) => {
        const report = await verifyAudit(database, inputs.value);
        print(options.format === "json" ? JSON.stringify(report, null, 2) : renderVerifyReport(report));
        if (!report.ok) {
          process.stderr.write(`Audit verification FAILED: ${report.problems.length} problem(s)\n${report.problems.map((p) => `  ${p}`).join("\n")}\n`);
          process.exitCode = 1;
        }
      });
    });

  audit
    .command("public-key")
    .description("Print the Ed25519 public key that verifies this gateway's audit checkpoints (PEM)")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { config?: string }) => {
      const key = await localKey(await loadCliContext(options.config));
      if (!key) {
        process.stderr.write(`gatehouse: no audit signing key: set GATEHOUSE_AUDIT_SIGNING_KEY, or start the gateway once so it creates ${SIGNING_KEY_FILE} in its data directory\n`);
        process.exitCode = 1;
        return;
      }
      process.stderr.write(`key id ${key.keyId}\n`);
      print(key.publicKeyPem);
    });
}

export function renderVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const { chain, head } = report;
  lines.push(`Audit chain: ${report.events} events, ${chain.ok ? "intact" : `BROKEN at seq ${chain.brokenAt?.seq} (id ${chain.brokenAt?.id})`}`);
  lines.push(head ? `Head: seq ${head.seq} hash ${head.hash}   (keep "${head.seq}:${head.hash}" to pass as --expect-head later)` : "Head: none (the chain is empty)");
  if (report.expectedHead) {
    const { seq, ok, problem } = report.expectedHead;
    lines.push(`Expected head seq ${seq}: ${ok ? "present, unchanged" : `FAILED: ${problem}`}`);
  }
  for (const c of report.checkpoints) {
    const where = c.source === "database" ? "Checkpoints in the database" : `Checkpoints in ${c.source}`;
    const newest = c.newest ? `, newest seq ${c.newest.seq} (${c.newest.at})` : "";
    const verdict = c.problems.length > 0 ? `${c.problems.length} PROBLEM(S)` : "signatures valid, all still in the chain";
    lines.push(c.checked === 0 && c.problems.length === 0 ? `${where}: none yet` : `${where}: ${c.checked}${newest}: ${verdict}`);
  }
  if (report.rows) {
    const { checked, problems } = report.rows;
    const counts = `${checked.toolCalls} tool_calls, ${checked.approvals} approvals, ${checked.votes} votes`;
    lines.push(problems.length === 0 ? `Rows: ${counts}: all agree with their events` : `Rows: ${counts}: ${problems.length} row(s) DISAGREE with their events`);
  }
  lines.push(`Trusted checkpoint keys: ${report.trustedKeyIds.length > 0 ? report.trustedKeyIds.join(", ") : "none (pass --public-key)"}`);
  lines.push(report.ok ? "OK" : "FAILED");
  return `${lines.join("\n")}\n`;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

async function readVerifyInputs(options: VerifyCliOptions, context: CliContext): Promise<Parsed<Parameters<typeof verifyAudit>[1]>> {
  let expectHead;
  try {
    expectHead = options.expectHead === undefined ? undefined : parseExpectedHead(options.expectHead);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const trustedKeys: PublicKeyInfo[] = [];
  try {
    const own = await localKey(context);
    if (own) trustedKeys.push(own);
    for (const file of options.publicKey) trustedKeys.push(parsePublicKey(await readFile(file, "utf8"), file));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const files = options.checkpoints.length > 0 ? options.checkpoints : configuredCheckpointFile(context);
  const checkpointFiles: { source: string; text: string }[] = [];
  for (const file of files) {
    try {
      checkpointFiles.push({ source: file, text: await readFile(file, "utf8") });
    } catch (error) {
      const isMissing = (error as NodeJS.ErrnoException).code === "ENOENT";
      if (isMissing && options.checkpoints.length === 0) continue; // the default file may not exist yet
      return { ok: false, message: `cannot read checkpoint file ${file}: ${isMissing ? "no such file" : (error as Error).message}` };
    }
  }
  return { ok: true, value: { expectHead, trustedKeys, checkpointFiles } };
}

/** This deployment's signing key, public half: from the environment or the data directory (never created here). */
async function localKey({ env, config }: CliContext): Promise<PublicKeyInfo | null> {
  if (env.GATEHOUSE_AUDIT_SIGNING_KEY) return parseSigningKey(env.GATEHOUSE_AUDIT_SIGNING_KEY, "GATEHOUSE_AUDIT_SIGNING_KEY");
  return readSigningKeyFile(join(env.GATEHOUSE_DATA_DIR ?? config.storage.dataDir, SIGNING_KEY_FILE));
}

function configuredCheckpointFile({ env, config }: CliContext): string[] {
  const file = checkpointFile(config.audit.checkpoints, env.GATEHOUSE_DATA_DIR ?? config.storage.dataDir, config.file ? dirname(config.file) : process.cwd());
  return file ? [file] : [];
}

function warnAboutProblems(rows: readonly CallRow[]): void {
  const bad = rows.filter((r) => !r.integrity.ok).length;
  if (bad > 0) process.stderr.write(`warning: ${bad} row(s) disagree with the audit chain (CHAIN = PROBLEM); run \`gatehouse audit show <id>\` or \`gatehouse audit verify\`\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function filters(options: ListOptions): ToolCallFilters {
  const now = new Date();
  return {
    since: options.since ? parseSince(options.since, now) : undefined,
    until: options.until ? parseSince(options.until, now) : undefined,
    tool: options.tool,
    upstream: options.upstream,
    grant: options.grant,
    decision: options.decision,
    status: options.status,
    reviewer: options.reviewer,
  };
}

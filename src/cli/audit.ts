import type { Command } from "commander";
import { formatToolCalls, listToolCalls, parseSince, verifyAuditChain, type ToolCallFilters } from "../audit/index.ts";
import { print, withStorage } from "./context.ts";

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
      .option("--reviewer <who>", "who decided a held call, e.g. alice or U012AB3CD")
      .option("-c, --config <file>", "gatehouse config file");

  addFilters(audit.command("list").description("List tool calls, newest first"))
    .option("--limit <n>", "rows", "50")
    .option("--format <format>", "table | json | csv", "table")
    .action(async (options: ListOptions) => {
      await withStorage(options.config, async ({ database }) => {
        const page = await listToolCalls(database, { ...filters(options), limit: Number(options.limit) });
        print(formatToolCalls(page.rows, options.format));
      });
    });

  addFilters(audit.command("export").description("Export every matching tool call"))
    .option("--format <format>", "json | csv", "csv")
    .action(async (options: ListOptions) => {
      await withStorage(options.config, async ({ database }) => {
        const rows = [];
        let cursor: string | undefined;
        do {
          const page = await listToolCalls(database, { ...filters(options), limit: 1000, cursor });
          rows.push(...page.rows);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        print(formatToolCalls(rows, options.format));
      });
    });

  audit
    .command("verify")
    .description("Walk the hash chain of audit_events and name the first broken row")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        const result = await verifyAuditChain(database);
        if (result.ok) return print(`Audit chain intact: ${result.checked} events verified.`);
        process.stderr.write(`Audit chain BROKEN at seq ${result.brokenAt.seq} (id ${result.brokenAt.id}): ${result.problem}\n`);
        process.exitCode = 2;
      });
    });
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

import { userInfo } from "node:os";
import type { Command } from "commander";
import { createApprovalControl } from "../approvals/module.ts";
import type { ApprovalStatus } from "../approvals/index.ts";
import { createAuditWriter } from "../audit/index.ts";
import { silentLogger } from "../log/index.ts";
import type { StorageHandles } from "../main.ts";
import { print, withStorage } from "./context.ts";

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command("approvals").description("List and decide held calls (works without Slack)");

  approvals
    .command("list")
    .description("List approvals, newest first")
    .option("--status <statuses>", "comma-separated, e.g. pending or denied,expired", "pending")
    .option("--all", "every status")
    .option("--json", "JSON output")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { status: string; all?: boolean; json?: boolean; config?: string }) => {
      await withControl(options.config, async ({ service }) => {
        const statuses = options.all ? undefined : (options.status.split(",") as ApprovalStatus[]);
        const rows = await service.list({ statuses, limit: 200 });
        if (options.json) return print(JSON.stringify(rows.map(({ argsSealed: _sealed, ...rest }) => rest), null, 2));
        if (rows.length === 0) return print(`No approvals${statuses ? ` with status ${statuses.join(", ")}` : ""}.`);
        for (const a of rows) {
          const votes = `${a.votes.filter((v) => v.vote === "approve").length}/${a.spec.minApprovals}`;
          print(`${a.id}  ${a.status.padEnd(15)} ${`${a.upstream}/${a.tool}`.padEnd(50)} grant=${a.grantName} votes=${votes} expires=${a.expiresAt.toISOString()}`);
        }
      });
    });

  for (const decision of ["approve", "deny"] as const) {
    approvals
      .command(decision)
      .description(decision === "approve" ? "Approve a held call" : "Deny a held call (the agent sees the reason)")
      .argument("<id>", "approval id")
      .option("-r, --reason <text>", "reason shown to the agent and in the audit")
      .option("--as <name>", "who is deciding (default: your OS user)")
      .option("-c, --config <file>", "gatehouse config file")
      .action(async (id: string, options: { reason?: string; as?: string; config?: string }) => {
        await withControl(options.config, async ({ service }) => {
          const actor = options.as ?? userInfo().username;
          const outcome = await service.vote(id, { id: `cli:${actor}`, display: `${actor} (CLI)`, isOperator: true }, decision, options.reason);
          if (outcome.kind === "decided" || outcome.kind === "recorded") {
            print(outcome.kind === "decided" ? `Approval ${id} is now ${outcome.approval.status}.` : `Vote recorded: ${outcome.approvals}/${outcome.needed} approvals.`);
            return;
          }
          const why =
            outcome.kind === "not_found"
              ? `no approval ${id}`
              : outcome.kind === "already_decided"
                ? `approval ${id} is already ${outcome.approval.status}; nothing changed`
                : outcome.kind === "duplicate"
                  ? `${actor} already voted on ${id}`
                  : outcome.reason;
          process.stderr.write(`gatehouse: ${why}\n`);
          process.exitCode = 1;
        });
      });
  }
}

async function withControl(configPath: string | undefined, use: (control: ReturnType<typeof createApprovalControl>) => Promise<void>): Promise<void> {
  await withStorage(configPath, async (storage: StorageHandles) => {
    const audit = createAuditWriter({ database: storage.database });
    const control = createApprovalControl({ database: storage.database, databaseUrl: storage.isPglite ? null : storage.url, audit, logger: silentLogger() });
    try {
      await use(control);
    } finally {
      await control.close();
      await audit.close();
    }
  });
}

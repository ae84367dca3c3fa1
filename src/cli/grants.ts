import type { Command } from "commander";
import { createApprovalControl } from "../approvals/module.ts";
import { REVOKED_REASON } from "../approvals/service.ts";
import { createAuditWriter } from "../audit/index.ts";
import { createGrantStore } from "../grants/index.ts";
import { silentLogger } from "../log/index.ts";
import { print, withStorage } from "./context.ts";

export function registerGrantCommands(program: Command): void {
  const grants = program.command("grants").description("Agent credentials (bearer tokens for /mcp)");
  grants
    .command("create")
    .description("Create a grant and print its token once")
    .requiredOption("-n, --name <name>", "grant name, shown in audit and Slack")
    .option("--owner <slackUserId>", "the person responsible for this agent (cannot approve its calls)")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { name: string; owner?: string; config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        const created = await createGrantStore(database).create(options.name, { owner: options.owner });
        if (!created.ok) {
          process.stderr.write(`gatehouse: ${created.reason}\n`);
          process.exitCode = 1;
          return;
        }
        print(`Created grant "${created.grant.name}". Its token (shown only now; only a hash is stored):\n\n  ${created.token}\n`);
        print(`Clients send it as: Authorization: Bearer ${created.token}`);
      });
    });
  grants
    .command("list")
    .description("List grants")
    .option("--json", "JSON output")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { json?: boolean; config?: string }) => {
      await withStorage(options.config, async ({ database }) => {
        const rows = await createGrantStore(database).list();
        if (options.json) return print(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return print("No grants. Create one with: gatehouse grants create --name <name>");
        for (const g of rows) {
          const state = g.revokedAt ? `revoked ${g.revokedAt.toISOString()}` : "active";
          print(`${g.name.padEnd(24)} ${state.padEnd(34)} owner=${g.owner ?? "-"} created=${g.createdAt.toISOString()}`);
        }
      });
    });
  grants
    .command("revoke")
    .description("Revoke a grant: its token gets HTTP 401 from then on, and its held calls are cancelled")
    .argument("[name]", "grant name")
    .option("-n, --name <name>", "grant name")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (positional: string | undefined, options: { name?: string; config?: string }) => {
      const name = positional ?? options.name;
      if (!name) throw new Error("grants revoke needs a grant name");
      await withStorage(options.config, async (storage) => {
        const isRevoked = await createGrantStore(storage.database).revoke(name);
        if (!isRevoked) {
          process.stderr.write(`gatehouse: no active grant named "${name}"\n`);
          process.exitCode = 1;
          return;
        }
        // Running gateways also cancel them on their next reaper pass and never run them (the claim checks the grant).
        const audit = createAuditWriter({ database: storage.database });
        const control = createApprovalControl({ database: storage.database, databaseUrl: storage.isPglite ? null : storage.url, audit, logger: silentLogger() });
        try {
          const cancelled = await control.service.cancelForGrant(name, REVOKED_REASON);
          print(`Revoked grant "${name}".${cancelled > 0 ? ` Cancelled its ${cancelled} held call${cancelled === 1 ? "" : "s"}.` : ""}`);
        } finally {
          await control.close();
          await audit.close();
        }
      });
    });
}

import type { Command } from "commander";
import { print, withStorage } from "./context.ts";

export function registerDbCommands(program: Command): void {
  const db = program.command("db").description("Database maintenance");
  db.command("migrate")
    .description("Apply the committed migrations (start-up does this too)")
    .option("-c, --config <file>", "gatehouse config file")
    .action(async (options: { config?: string }) => {
      await withStorage(options.config, async (storage) => {
        print(`Migrations applied (${storage.mode}, schema ${storage.database.schema}).`);
      });
    });
}

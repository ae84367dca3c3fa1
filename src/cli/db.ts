// `gatehouse db migrate`: the one offline command that may create a database (start-up migrates too).
import type { Command } from "commander";
import { globalOptions } from "./usage.ts";

export function registerDbCommands(program: Command): void {
  const db = program.command("db").description("Database maintenance");
  db.command("migrate")
    .description("Create the database if needed and apply the committed migrations (start-up does this too)")
    .action(async (_options: unknown, command: Command) => {
      const [{ withStorage }, { print }] = await Promise.all([import("./context.ts"), import("./output.ts")]);
      await withStorage(
        globalOptions(command),
        async (storage) => print(`Migrations applied (${storage.mode}, schema ${storage.database.schema}).`),
        { isCreating: true },
      );
    });
}

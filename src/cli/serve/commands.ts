// `gatehouse start` and `gatehouse stdio`: the gateway itself (loaded only when one of them runs).
import type { Command } from "commander";
import { globalOptions } from "../usage.ts";

export function registerServeCommands(program: Command): void {
  program
    .command("start")
    .description("Run the gateway over HTTP (zero-setup demo when no config is given)")
    .action(async (_options: unknown, command: Command) => (await import("./run.ts")).runStart(globalOptions(command)));

  program
    .command("stdio")
    .description("Serve MCP over stdio for desktop clients, acting as one grant")
    .option("-g, --grant <name>", "grant whose policy applies (default: demo in the demo config)")
    .action(async (options: { grant?: string }, command: Command) => (await import("./run.ts")).runStdio(options, globalOptions(command)));
}

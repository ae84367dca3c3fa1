// `gatehouse upstreams`: the MCP servers behind the running gateway, their state and their tools. Only a
// running gateway knows whether an upstream is connected, so these need one.
import type { Command } from "commander";
import { globalOptions, listFormatOptions } from "../usage.ts";

export function registerUpstreamCommands(program: Command): void {
  const upstreams = program.command("upstreams").description("The MCP servers behind the running gateway");
  const list = upstreams.command("list").description("Each upstream: connection state, restarts, tools, policy");
  for (const option of listFormatOptions()) list.addOption(option);
  list.action(async (options, command: Command) => (await import("./run.ts")).listUpstreams(options, globalOptions(command)));

  const tools = upstreams.command("tools").description("The tools an upstream offers (its own names)").argument("<upstream>", "upstream name");
  for (const option of listFormatOptions()) tools.addOption(option);
  tools.action(async (name: string, options, command: Command) => (await import("./run.ts")).listUpstreamTools(name, options, globalOptions(command)));
}

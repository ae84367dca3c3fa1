import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { GatehouseConfig, ResolvedUpstream } from "../config/index.ts";
import { GatewayError } from "../errors.ts";
import { silentLogger } from "../log/index.ts";
import {
  checkToolCoverage,
  createStarterPolicy,
  evaluate,
  explainDecision,
  formatDecisionText,
  formatPolicyIssue,
  loadPolicyFile,
  type CompiledPolicy,
} from "../policy/index.ts";
import { createUpstreamConnection } from "../proxy/index.ts";
import { loadCliContext, print } from "./context.ts";

export function registerPolicyCommands(program: Command): void {
  const policy = program.command("policy").description("Validate, explain and generate policies");

  policy
    .command("check")
    .description("Validate a policy file; with --config, also warn about keys that match no upstream tool")
    .argument("<file>", "policy file")
    .option("-c, --config <file>", "gatehouse config file (to compare with the upstream's tools)")
    .action(async (file: string, options: { config?: string }) => {
      const compiled = await loadOrExit(file);
      if (!compiled) return;
      const warnings = [...compiled.warnings];
      if (options.config) {
        const { config } = await loadCliContext(options.config);
        const upstream = upstreamForPolicy(config, file);
        const names = (await listUpstreamTools(upstream)).map((t) => t.name);
        warnings.push(...checkToolCoverage(compiled.policy, names).map((w) => `${file}: ${w} (upstream "${upstream.name}")`));
      }
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      print(`${file}: valid${warnings.length ? ` (${warnings.length} warning(s))` : ""}`);
    });

  policy
    .command("explain")
    .description("Show the decision a policy makes for one call")
    .requiredOption("-p, --policy <file>", "policy file")
    .requiredOption("-t, --tool <name>", "tool name as the upstream names it")
    .option("-a, --args <json>", "tool arguments as JSON", "{}")
    .option("-g, --grant <name>", "grant name", "cli")
    .option("--session <id>", "session id", "cli")
    .option("--json", "machine-readable output")
    .action(async (options: { policy: string; tool: string; args: string; grant: string; session: string; json?: boolean }) => {
      const compiled = await loadOrExit(options.policy);
      if (!compiled) return;
      let args: unknown;
      try {
        args = JSON.parse(options.args);
      } catch (error) {
        throw new GatewayError("config_invalid", `--args is not valid JSON: ${(error as Error).message}`);
      }
      if (!args || typeof args !== "object" || Array.isArray(args)) throw new GatewayError("config_invalid", "--args must be a JSON object");
      const decision = evaluate(
        compiled.policy,
        { tool: options.tool, args: args as Record<string, unknown>, grant: { name: options.grant }, session: { id: options.session } },
        new Date(),
      );
      const explanation = explainDecision(decision);
      print(options.json ? JSON.stringify(explanation) : formatDecisionText(decision));
    });

  policy
    .command("init")
    .description("Generate a starter policy from an upstream's tools/list")
    .requiredOption("-u, --upstream <name>", "upstream name from the config")
    .option("-c, --config <file>", "gatehouse config file")
    .option("-d, --default <action>", "action for tools that are neither read-only nor destructive: allow | deny | require_approval", "require_approval")
    .option("-o, --out <file>", "write to this file instead of stdout")
    .action(async (options: { upstream: string; config?: string; default: string; out?: string }) => {
      const action = options.default;
      if (action !== "allow" && action !== "deny" && action !== "require_approval") {
        throw new GatewayError("config_invalid", `--default must be allow, deny or require_approval (got "${action}")`);
      }
      const { config } = await loadCliContext(options.config);
      const upstream = config.upstreams.find((u) => u.name === options.upstream);
      if (!upstream) throw new GatewayError("config_invalid", `No upstream named "${options.upstream}" (have: ${config.upstreams.map((u) => u.name).join(", ")})`);
      const document = createStarterPolicy(await listUpstreamTools(upstream), action);
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (options.out) {
        await writeFile(options.out, text, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
          throw new GatewayError("config_invalid", error.code === "EEXIST" ? `${options.out} exists; not overwriting it` : error.message);
        });
        print(`Wrote ${options.out}`);
      } else {
        process.stdout.write(text);
      }
    });
}

async function loadOrExit(file: string): Promise<{ policy: CompiledPolicy; warnings: string[] } | null> {
  const loaded = await loadPolicyFile(file);
  if (loaded.ok) return { policy: loaded.policy, warnings: loaded.warnings };
  for (const issue of loaded.errors) process.stderr.write(`error: ${formatPolicyIssue(issue)}\n`);
  process.exitCode = 1;
  return null;
}

function upstreamForPolicy(config: GatehouseConfig, file: string): ResolvedUpstream {
  const absolute = resolve(file);
  const match = config.upstreams.find((u) => u.policyFile === absolute) ?? (config.upstreams.length === 1 ? config.upstreams[0] : undefined);
  if (!match) throw new GatewayError("config_invalid", `No upstream in the config uses ${file} as its policy`);
  return match;
}

async function listUpstreamTools(upstream: ResolvedUpstream) {
  const connection = createUpstreamConnection(upstream, silentLogger());
  try {
    return await connection.listTools();
  } finally {
    await connection.close();
  }
}

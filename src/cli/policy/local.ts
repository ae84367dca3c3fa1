// Policy tools that need no gateway: check a file on its own (and, with --config, against its upstream's
// tools), explain one decision, generate a starter policy from an upstream's tools/list.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { GatehouseConfig, ResolvedUpstream } from "../../config/index.ts";
import { silentLogger } from "../../log/index.ts";
import {
  checkToolCoverage,
  createStarterPolicy,
  evaluate,
  explainDecision,
  formatDecisionText,
  formatPolicyIssue,
  loadPolicyFile,
  type CompiledPolicy,
} from "../../policy/index.ts";
import { createUpstreamConnection } from "../../proxy/index.ts";
import { loadCliContext } from "../context.ts";
import { print } from "../output.ts";
import type { GlobalOptions } from "../usage.ts";
import { CommandFailed, UsageError } from "../usage.ts";

export async function checkPolicyFile(file: string, globals: GlobalOptions): Promise<void> {
  const compiled = await loadOrFail(file);
  const warnings = [...compiled.warnings];
  if (globals.config) {
    const { config } = await loadCliContext(globals);
    const upstream = upstreamForPolicy(config, file);
    const names = (await listUpstreamTools(upstream)).map((t) => t.name);
    warnings.push(...checkToolCoverage(compiled.policy, names).map((w) => `${file}: ${w} (upstream "${upstream.name}")`));
  }
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  print(`${file}: valid${warnings.length ? ` (${warnings.length} warning(s))` : ""}`);
}

export async function explainPolicy(options: { policy: string; tool: string; args: string; grant: string; session: string; json?: boolean }): Promise<void> {
  const compiled = await loadOrFail(options.policy);
  let args: unknown;
  try {
    args = JSON.parse(options.args);
  } catch (error) {
    throw new UsageError(`--args is not valid JSON: ${(error as Error).message}`);
  }
  if (!args || typeof args !== "object" || Array.isArray(args)) throw new UsageError("--args must be a JSON object");
  const decision = evaluate(compiled.policy, { tool: options.tool, args: args as Record<string, unknown>, grant: { name: options.grant }, session: { id: options.session } }, new Date());
  print(options.json ? JSON.stringify(explainDecision(decision)) : formatDecisionText(decision));
}

export async function initPolicy(options: { upstream: string; default: string; out?: string }, globals: GlobalOptions): Promise<void> {
  const action = options.default;
  if (action !== "allow" && action !== "deny" && action !== "require_approval") {
    throw new UsageError(`--default must be allow, deny or require_approval (got "${action}")`);
  }
  const { config } = await loadCliContext(globals);
  const upstream = config.upstreams.find((u) => u.name === options.upstream);
  if (!upstream) throw new CommandFailed(`no upstream named "${options.upstream}" (have: ${config.upstreams.map((u) => u.name).join(", ")})`);
  const text = `${JSON.stringify(createStarterPolicy(await listUpstreamTools(upstream), action), null, 2)}\n`;
  if (!options.out) return void process.stdout.write(text);
  await writeFile(options.out, text, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
    throw new CommandFailed(error.code === "EEXIST" ? `${options.out} exists; not overwriting it` : error.message);
  });
  print(`Wrote ${options.out}`);
}

async function loadOrFail(file: string): Promise<{ policy: CompiledPolicy; warnings: string[] }> {
  const loaded = await loadPolicyFile(file);
  if (loaded.ok) return { policy: loaded.policy, warnings: loaded.warnings };
  for (const issue of loaded.errors) process.stderr.write(`error: ${formatPolicyIssue(issue)}\n`);
  throw new CommandFailed(`${file} is not a valid policy (${loaded.errors.length} problem(s))`);
}

function upstreamForPolicy(config: GatehouseConfig, file: string): ResolvedUpstream {
  const absolute = resolve(file);
  const match = config.upstreams.find((u) => u.policyFile === absolute) ?? (config.upstreams.length === 1 ? config.upstreams[0] : undefined);
  if (!match) throw new CommandFailed(`no upstream in the config uses ${file} as its policy`);
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

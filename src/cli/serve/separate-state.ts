// `gatehouse stdio` is often started by a desktop client in another working directory, without the terminal's
// environment. It then opens a data directory (or database) of its own, and what its agent does (grants, held
// calls, the audit log) never shows on the gateway the user is watching. The rule: when gateways run on this
// machine and none of them keeps its state where this process would, say so in one line on stderr.
import { resolve } from "node:path";
import { dataDirOf, type Env, type GatehouseConfig } from "../../config/index.ts";
import { listRunningGateways, storageIdentity, type RunningGateway } from "../../discovery/index.ts";

export async function separateStateNotice(config: GatehouseConfig, env: Env): Promise<string | null> {
  const dataDir = resolve(dataDirOf(config, env));
  const mine = storageIdentity(env.DATABASE_URL, dataDir, env.GATEHOUSE_DB_SCHEMA ?? config.storage.schema);
  const running = await listRunningGateways(env.GATEHOUSE_STATE_DIR);
  const [other] = running;
  if (!other || running.some((gateway) => gateway.storage === mine)) return null;
  const more = running.length > 1 ? ` (${running.length - 1} more gateway(s) run, none on this state either)` : "";
  return (
    `gatehouse stdio: this process keeps its state in ${describeStorage(mine)}, but the gateway running at ${other.gateway.url} ` +
    `(pid ${other.gateway.pid}) keeps its state in ${describeStorage(other.storage)}: they do not share grants, held calls or the audit log${more}. ` +
    `To use that gateway's state, start stdio with ${joinHint(other, env)}.`
  );
}

function describeStorage(identity: string): string {
  if (identity.startsWith("embedded:")) return `the embedded database in ${identity.slice("embedded:".length)}`;
  const url = new URL(identity);
  return `PostgreSQL ${url.host}${url.pathname} (schema ${url.searchParams.get("schema") ?? "public"})`;
}

function joinHint(other: RunningGateway, env: Env): string {
  const withConfig = other.configFile ? ` --config ${other.configFile}` : "";
  if (other.storage.startsWith("embedded:")) return `--data-dir ${other.dataDir}${withConfig}${env.DATABASE_URL ? " and without DATABASE_URL" : ""}`;
  return `DATABASE_URL pointing at that database${withConfig ? ` and${withConfig}` : ""} (same schema: storage.schema or GATEHOUSE_DB_SCHEMA)`;
}

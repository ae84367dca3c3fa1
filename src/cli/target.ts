// Where a command goes: to a running gateway's admin API when there is one — the one named by --url or
// GATEHOUSE_URL, else the one whose gateway.json is in the data directory — or, for the commands that make
// sense without a gateway, straight to the database (offline). Light on purpose: nothing here loads the
// database layer.
import { resolve } from "node:path";
import { locateDataDir } from "../config/locate.ts";
import { findRunningGateway, GATEWAY_FILE } from "../discovery/index.ts";
import { createGatewayClient, type GatewayClient } from "./gateway-client.ts";
import { CommandFailed, type GlobalOptions } from "./usage.ts";

/**
 * What the credential is for. A vote is cast as the person the token belongs to, so a reviewer's own
 * token (GATEHOUSE_REVIEWER_TOKEN) comes before the admin token; for everything else the admin's first.
 */
export type CredentialUse = "vote" | "operate";

/** The gateway to talk to, or null when none is named and none runs from the data directory. */
export async function findGateway(options: GlobalOptions, use: CredentialUse): Promise<GatewayClient | null> {
  const env = process.env;
  const named = options.url ?? nonEmpty(env.GATEHOUSE_URL);
  if (named) return createGatewayClient(named, chooseToken(options, use, undefined));
  const running = await findRunningGateway(await dataDirOf(options));
  // The token a demo gateway wrote next to itself is sent to that gateway only, never to a --url.
  return running ? createGatewayClient(running.url, chooseToken(options, use, running.adminToken)) : null;
}

/** Commands that only make sense against a running gateway (held calls, upstreams, saving a policy). */
export async function requireGateway(options: GlobalOptions, use: CredentialUse): Promise<GatewayClient> {
  const gateway = await findGateway(options, use);
  if (gateway) return gateway;
  const file = resolve(await dataDirOf(options), GATEWAY_FILE);
  throw new CommandFailed(`no running gateway found (no live ${file}): start one with \`gatehouse start\`, or pass --url (or set GATEHOUSE_URL)`);
}

/** Runs `online` on the running gateway; when none runs, `offline` on the database directly. */
export async function onGatewayOrOffline<T>(options: GlobalOptions, use: CredentialUse, online: (gateway: GatewayClient) => Promise<T>, offline: () => Promise<T>): Promise<T> {
  const gateway = await findGateway(options, use);
  return gateway ? online(gateway) : offline();
}

/** --data-dir, else GATEHOUSE_DATA_DIR, else the config's storage.dataDir (default .gatehouse). */
export async function dataDirOf(options: GlobalOptions): Promise<string> {
  return options.dataDir ? resolve(options.dataDir) : locateDataDir(options.config);
}

function chooseToken(options: GlobalOptions, use: CredentialUse, discovered: string | undefined): string | undefined {
  const env = process.env;
  const reviewer = nonEmpty(env.GATEHOUSE_REVIEWER_TOKEN);
  const admin = nonEmpty(env.GATEHOUSE_ADMIN_TOKEN);
  const [first, second] = use === "vote" ? [reviewer, admin] : [admin, reviewer];
  return options.token ?? nonEmpty(env.GATEHOUSE_TOKEN) ?? first ?? second ?? discovered;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value : undefined;
}

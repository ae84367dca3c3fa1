// The grants commands: the admin API when a gateway runs, else the database (offline.ts, loaded only then).
import type { z } from "zod";
import { shortTime } from "../../audit/format.ts";
import type { GrantView } from "../../http/api/views.ts";
import { formatRows, print, type Column } from "../output.ts";
import { onGatewayOrOffline } from "../target.ts";
import type { GlobalOptions, ListFormat } from "../usage.ts";

export type GrantJson = z.output<typeof GrantView>;
export interface CreatedGrant {
  grant: GrantJson;
  token: string;
}

const COLUMNS: Column<GrantJson>[] = [
  { name: "name", value: (g) => g.name },
  { name: "state", value: (g) => (g.revokedAt ? "revoked" : "active") },
  { name: "owner", value: (g) => g.owner },
  { name: "created_at", value: (g) => shortTime(g.createdAt) },
  { name: "revoked_at", value: (g) => g.revokedAt && shortTime(g.revokedAt) },
];

export async function createGrant(options: { name: string; owner?: string }, globals: GlobalOptions): Promise<void> {
  const input = { name: options.name, ...(options.owner !== undefined && { owner: options.owner }) };
  const { grant, token } = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.send<CreatedGrant>("POST", "/grants", input),
    async () => (await import("./offline.ts")).createGrantOffline(input, globals),
  );
  print(`Created grant "${grant.name}". Its token (shown only now; only a hash is stored):\n\n  ${token}\n`);
  print(`Clients send it as: Authorization: Bearer ${token}`);
}

export async function listGrants(options: { format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const { grants } = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.get<{ grants: GrantJson[] }>("/grants"),
    async () => (await import("./offline.ts")).listGrantsOffline(globals),
  );
  print(formatRows(grants, COLUMNS, options.format, "No grants. Create one with: gatehouse grants create --name <name>"));
}

export async function revokeGrant(name: string, globals: GlobalOptions): Promise<void> {
  const { grant, cancelledApprovals } = await onGatewayOrOffline(
    globals,
    "operate",
    (gateway) => gateway.send<{ grant: GrantJson; cancelledApprovals: number }>("DELETE", `/grants/${encodeURIComponent(name)}`),
    async () => (await import("./offline.ts")).revokeGrantOffline(name, globals),
  );
  const cancelled = cancelledApprovals > 0 ? ` Cancelled its ${cancelledApprovals} held call${cancelledApprovals === 1 ? "" : "s"}.` : "";
  print(`Revoked grant "${grant.name}".${cancelled}`);
}

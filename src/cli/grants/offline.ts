// Grants on the database, answering in the admin API's shapes.
import { createGrant, GrantInput, revokeGrant } from "../../grants/index.ts";
import { grantView } from "../../http/api/views.ts";
import { OFFLINE_ACTOR, parseInput, withAdminDeps } from "../offline-admin.ts";
import type { GlobalOptions } from "../usage.ts";
import { CommandFailed } from "../usage.ts";
import type { CreatedGrant, GrantJson } from "./run.ts";

export function createGrantOffline(input: unknown, globals: GlobalOptions): Promise<CreatedGrant> {
  const parsed = parseInput(GrantInput, input);
  return withAdminDeps(globals, async (deps) => {
    const created = await createGrant(deps, parsed, OFFLINE_ACTOR);
    if (!created.ok) throw new CommandFailed(created.reason);
    return { grant: grantView(created.grant) as GrantJson, token: created.token };
  });
}

export function listGrantsOffline(globals: GlobalOptions): Promise<{ grants: GrantJson[] }> {
  return withAdminDeps(globals, async (deps) => ({ grants: (await deps.grants.list()).map((g) => grantView(g) as GrantJson) }));
}

export function revokeGrantOffline(name: string, globals: GlobalOptions): Promise<{ grant: GrantJson; cancelledApprovals: number }> {
  return withAdminDeps(globals, async (deps) => {
    const revoked = await revokeGrant(deps, name, OFFLINE_ACTOR);
    if (!revoked.ok) throw new CommandFailed(revoked.reason);
    return { grant: grantView(revoked.grant) as GrantJson, cancelledApprovals: revoked.cancelledApprovals };
  });
}

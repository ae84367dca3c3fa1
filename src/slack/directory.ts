// Who counts as an approver: Slack user ids (U…, W… on Enterprise Grid) match directly, user groups (S…)
// through usergroups.users.list, cached briefly so a burst of clicks costs one call. A failed lookup throws:
// the vote fails and can be retried, rather than being refused on a guess.
import type { ApprovalSpec } from "../approvals/types.ts";
import type { WebClient } from "./client.ts";

export interface SlackDirectory {
  membersOf(groupId: string): Promise<string[]>;
  /** Empty `approvers` means anyone (who can see the message). */
  isApprover(spec: Pick<ApprovalSpec, "approvers">, slackUserId: string): Promise<boolean>;
}

interface CachedGroup {
  members: Promise<string[]>;
  expiresAtMs: number;
}

export function createSlackDirectory(client: WebClient, options: { ttlMs?: number; now?: () => number } = {}): SlackDirectory {
  const { ttlMs = 60_000, now = Date.now } = options;
  const groups = new Map<string, CachedGroup>();

  function membersOf(groupId: string): Promise<string[]> {
    const cached = groups.get(groupId);
    if (cached && cached.expiresAtMs > now()) return cached.members;
    const members = client.usergroups.users.list({ usergroup: groupId }).then((result) => result.users ?? []);
    groups.set(groupId, { members, expiresAtMs: now() + ttlMs });
    // A failure is not cached: the next click asks again.
    members.catch(() => {
      if (groups.get(groupId)?.members === members) groups.delete(groupId);
    });
    return members;
  }

  async function isApprover(spec: Pick<ApprovalSpec, "approvers">, slackUserId: string): Promise<boolean> {
    if (spec.approvers.length === 0) return true;
    if (spec.approvers.includes(slackUserId)) return true;
    const groupIds = spec.approvers.filter((id) => id.startsWith("S"));
    const memberships = await Promise.all(groupIds.map(async (id) => (await membersOf(id)).includes(slackUserId)));
    return memberships.some(Boolean);
  }

  return { membersOf, isApprover };
}

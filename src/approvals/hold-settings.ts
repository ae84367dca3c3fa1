// How long a held request waits, how often it sends a heartbeat, and what the agent is told when it
// stops waiting (DESIGN §5). Defaults come from the config; a client name from `clientInfo` (glob) and
// then a grant can override them, because real clients give up at different times.
import picomatch from "picomatch";

export interface HoldSettings {
  /** A held request answers with the pending answer after this long (below the client's timeout). */
  maxWaitMs: number;
  /** Progress heartbeats while held (only to clients that sent a progressToken). */
  heartbeatMs: number;
  /** Template of the pending answer; see `renderPendingText`. */
  pendingText: string;
}

export type HoldOverride = Partial<HoldSettings>;

export interface HoldSettingsSource {
  defaults: HoldSettings;
  /** Client-name globs (case-insensitive), in config order: the first match applies. */
  clients: Record<string, HoldOverride>;
  grants: Record<string, HoldOverride>;
}

export const DEFAULT_PENDING_TEXT =
  "{tool} has NOT run: it is waiting for a person to approve it{where} (approval {id}, decision due by {deadline}). " +
  "To wait for the decision, call {tool} again with exactly the same arguments: the call attaches to this approval, " +
  'people are not asked twice, and it runs at most once. Or call {status_tool} with {"id": "{id}"}.';

export type HoldSettingsResolver = (who: { grant: string; client: string | null }) => HoldSettings;

export function createHoldSettingsResolver(source: HoldSettingsSource): HoldSettingsResolver {
  const clients = Object.entries(source.clients).map(([glob, override]) => ({ isMatch: picomatch(glob, { nocase: true, dot: true }), override }));
  return ({ grant, client }) => {
    const byClient = client ? clients.find((c) => c.isMatch(client))?.override : undefined;
    return { ...source.defaults, ...defined(byClient), ...defined(source.grants[grant]) };
  };
}

export interface PendingTextFacts {
  tool: string;
  id: string;
  channel: string | null;
  deadline: Date;
  statusTool: string;
}

/** Fills {tool} {id} {where} {channel} {deadline} {status_tool}; unknown placeholders stay as written. */
export function renderPendingText(template: string, facts: PendingTextFacts): string {
  const values: Record<string, string> = {
    tool: facts.tool,
    id: facts.id,
    where: facts.channel ? ` in Slack channel ${facts.channel}` : "",
    channel: facts.channel ?? "",
    deadline: facts.deadline.toISOString(),
    status_tool: facts.statusTool,
  };
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function defined(override: HoldOverride | undefined): HoldOverride {
  if (!override) return {};
  return Object.fromEntries(Object.entries(override).filter(([, value]) => value !== undefined)) as HoldOverride;
}

// What a new client session is told the gateway offers: tools always (its own status tool, and every
// upstream's), and resources, prompts, completions and logging when at least one upstream offers them
// (as last seen: an upstream down right now still counts). listChanged is on for resources and prompts
// whenever they are offered, because a policy reload changes what a client may see at any time.
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { UpstreamConnection } from "../upstream.ts";

export type RelayedCapabilities = Pick<ServerCapabilities, "resources" | "prompts" | "completions" | "logging">;

export function unionOfCapabilities(upstreams: Iterable<UpstreamConnection>): RelayedCapabilities {
  const offered = [...upstreams].map((upstream) => upstream.capabilities()).filter((c): c is ServerCapabilities => c !== null);
  const union: RelayedCapabilities = {};
  if (offered.some((c) => c.resources)) {
    union.resources = { listChanged: true, ...(offered.some((c) => c.resources?.subscribe) && { subscribe: true }) };
  }
  if (offered.some((c) => c.prompts)) union.prompts = { listChanged: true };
  if (offered.some((c) => c.completions)) union.completions = {};
  if (offered.some((c) => c.logging)) union.logging = {};
  return union;
}

// The upstreams commands, over the admin API.
import { formatRows, print, type Column } from "../output.ts";
import { requireGateway } from "../target.ts";
import type { GlobalOptions, ListFormat } from "../usage.ts";

interface Upstream {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  lastError: string | null;
  toolCount: number;
  policy: { file: string; isLoaded: boolean; errors: string[] | null } | null;
}

interface Tool {
  name: string;
  title: string | null;
  description: string | null;
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean } | null;
}

const UPSTREAM_COLUMNS: Column<Upstream>[] = [
  { name: "name", value: (u) => u.name },
  { name: "state", value: (u) => u.state },
  { name: "tools", value: (u) => u.toolCount },
  { name: "restarts", value: (u) => u.restarts },
  { name: "pid", value: (u) => u.pid },
  { name: "policy", value: (u) => (u.policy ? (u.policy.isLoaded ? "loaded" : "NOT LOADED") : "none") },
  { name: "policy_file", value: (u) => u.policy?.file },
  { name: "last_error", value: (u) => u.lastError },
];

const TOOL_COLUMNS: Column<Tool>[] = [
  { name: "name", value: (t) => t.name },
  { name: "read_only", value: (t) => t.annotations?.readOnlyHint ?? null },
  { name: "destructive", value: (t) => t.annotations?.destructiveHint ?? null },
  { name: "title", value: (t) => t.title },
];

export async function listUpstreams(options: { format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const { upstreams } = await gateway.get<{ upstreams: Upstream[] }>("/upstreams");
  print(formatRows(upstreams, UPSTREAM_COLUMNS, options.format, "No upstreams."));
}

export async function listUpstreamTools(name: string, options: { format: ListFormat }, globals: GlobalOptions): Promise<void> {
  const gateway = await requireGateway(globals, "operate");
  const { tools, isCached } = await gateway.get<{ tools: Tool[]; isCached: boolean }>(`/upstreams/${encodeURIComponent(name)}/tools`);
  print(formatRows(tools, TOOL_COLUMNS, options.format, `Upstream "${name}" offers no tools.`));
  if (isCached) process.stderr.write(`warning: upstream "${name}" is not connected: this is the last tool list it sent\n`);
}

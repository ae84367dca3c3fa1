// How upstream tools are named for clients. With several upstreams (or mode "always") a tool is
// exposed as `<upstream><separator><tool>`; policies always use the upstream's own tool names.

export interface NamingRule {
  mode: "auto" | "always" | "never";
  separator: string;
}

export interface ToolNaming {
  exposedName(upstream: string, tool: string): string;
  /** Maps an exposed name back to its upstream and tool, or null when no upstream owns it. */
  resolve(exposed: string): { upstream: string; tool: string } | null;
}

export function createToolNaming(rule: NamingRule, upstreams: readonly string[]): ToolNaming {
  const isPrefixed = rule.mode === "always" || (rule.mode === "auto" && upstreams.length > 1);
  if (!isPrefixed) {
    if (upstreams.length > 1) throw new Error('namespace mode "never" needs exactly one upstream');
    const only = upstreams[0]!;
    return { exposedName: (_u, tool) => tool, resolve: (exposed) => ({ upstream: only, tool: exposed }) };
  }
  // Longest name first so "crm" and "crm_eu" never shadow each other.
  const byLength = [...upstreams].sort((a, b) => b.length - a.length);
  return {
    exposedName: (upstream, tool) => `${upstream}${rule.separator}${tool}`,
    resolve(exposed) {
      for (const upstream of byLength) {
        const prefix = upstream + rule.separator;
        if (exposed.startsWith(prefix) && exposed.length > prefix.length) return { upstream, tool: exposed.slice(prefix.length) };
      }
      return null;
    },
  };
}

// How upstream tools, prompts and resources are named for clients. With several upstreams (or mode
// "always") a tool or prompt is exposed as `<upstream><separator><name>`, and a resource URI or URI
// template as `<label>+<uri>`: the upstream's name, with `_` written `.` so it is valid in a URI scheme,
// in front of the upstream's own scheme (`crm_eu` + `https://x` → `crm.eu+https://x`). Upstream names
// never contain `+` or `.`, so the first `+` ends the label and the rule is reversible; the prefix is
// literal, so a URI template stays a template with the same variables. Policies always use the
// upstream's own names and URIs.

export interface NamingRule {
  mode: "auto" | "always" | "never";
  separator: string;
}

export interface ToolNaming {
  /** The name a client sees for an upstream's tool or prompt. */
  exposedName(upstream: string, tool: string): string;
  /** Maps an exposed name back to its upstream and tool, or null when no upstream owns it. */
  resolve(exposed: string): { upstream: string; tool: string } | null;
  /** The URI (or URI template) a client sees for an upstream's resource. */
  exposedUri(upstream: string, uri: string): string;
  /** Maps an exposed URI back to its upstream and the upstream's own URI, or null when no upstream owns it. */
  resolveUri(exposed: string): { upstream: string; uri: string } | null;
  /** True when names and URIs carry the upstream (several upstreams, or mode "always"). */
  readonly isPrefixed: boolean;
}

export function createToolNaming(rule: NamingRule, upstreams: readonly string[]): ToolNaming {
  const isPrefixed = rule.mode === "always" || (rule.mode === "auto" && upstreams.length > 1);
  if (!isPrefixed) {
    if (upstreams.length > 1) throw new Error('namespace mode "never" needs exactly one upstream');
    const only = upstreams[0]!;
    return {
      isPrefixed,
      exposedName: (_u, tool) => tool,
      resolve: (exposed) => ({ upstream: only, tool: exposed }),
      exposedUri: (_u, uri) => uri,
      resolveUri: (exposed) => ({ upstream: only, uri: exposed }),
    };
  }
  // Longest name first so "crm" and "crm_eu" never shadow each other.
  const byLength = [...upstreams].sort((a, b) => b.length - a.length);
  const byLabel = new Map(upstreams.map((name) => [uriLabel(name), name] as const));
  return {
    isPrefixed,
    exposedName: (upstream, tool) => `${upstream}${rule.separator}${tool}`,
    resolve(exposed) {
      for (const upstream of byLength) {
        const prefix = upstream + rule.separator;
        if (exposed.startsWith(prefix) && exposed.length > prefix.length) return { upstream, tool: exposed.slice(prefix.length) };
      }
      return null;
    },
    exposedUri: (upstream, uri) => `${uriLabel(upstream)}+${uri}`,
    resolveUri(exposed) {
      const plus = exposed.indexOf("+");
      if (plus <= 0) return null;
      // Schemes are case-insensitive, so a client may have lower-cased the label; names are lower case.
      const upstream = byLabel.get(exposed.slice(0, plus).toLowerCase());
      return upstream === undefined ? null : { upstream, uri: exposed.slice(plus + 1) };
    },
  };
}

/** An upstream name as the first part of a URI scheme: `_` is not a scheme character, `.` is. */
export function uriLabel(upstream: string): string {
  return upstream.replaceAll("_", ".");
}

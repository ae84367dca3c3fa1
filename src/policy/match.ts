// Tool-name patterns: exact names or globs with `*` (any run of characters) and `?` (one character).
// Only those two are special, so names with dots, slashes or brackets match literally.

export interface ToolPattern {
  readonly pattern: string;
  readonly isGlob: boolean;
  /** Characters before the first wildcard: the longer it is, the more specific the glob. */
  readonly literalPrefix: string;
  readonly regex: RegExp;
}

export function compileToolPattern(pattern: string): ToolPattern {
  const firstWildcard = pattern.search(/[*?]/);
  const isGlob = firstWildcard !== -1;
  const body = [...pattern]
    .map((char) => (char === "*" ? "[\\s\\S]*" : char === "?" ? "[\\s\\S]" : char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  return {
    pattern,
    isGlob,
    literalPrefix: isGlob ? pattern.slice(0, firstWildcard) : pattern,
    regex: new RegExp(`^${body}$`, "u"),
  };
}

export function matchesToolPattern(pattern: ToolPattern, toolName: string): boolean {
  return pattern.isGlob ? pattern.regex.test(toolName) : pattern.pattern === toolName;
}

/** Sorts most specific first: exact names, then globs by descending literal prefix length. */
export function sortBySpecificity<T extends { pattern: ToolPattern }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => specificity(b.pattern) - specificity(a.pattern));
}

function specificity(pattern: ToolPattern): number {
  return pattern.isGlob ? pattern.literalPrefix.length : Number.MAX_SAFE_INTEGER;
}

/**
 * Globs with the same literal prefix could both be the best match for one name, so the author must
 * resolve them. Globs with different prefixes of equal length can never match the same name.
 */
export function findAmbiguousGlobs(patterns: ToolPattern[]): Array<[string, string]> {
  const byPrefix = new Map<string, string>();
  const ties: Array<[string, string]> = [];
  for (const pattern of patterns) {
    if (!pattern.isGlob) continue;
    const earlier = byPrefix.get(pattern.literalPrefix);
    if (earlier === undefined) byPrefix.set(pattern.literalPrefix, pattern.pattern);
    else ties.push([earlier, pattern.pattern]);
  }
  return ties;
}

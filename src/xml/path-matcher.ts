/**
 * Compiles profile path patterns ("a/b" from below the root, "//a/b" at any depth) into one
 * predicate over slash paths of element names below the root. Patterns are indexed by their
 * last name, so the common case (an element no pattern ends with) is one map lookup and the
 * path string is never flattened. `names` holds those last names, for callers that build paths
 * lazily (only an element with one of these names can match).
 */
export function compilePathMatcher(
  patterns: readonly string[] = [],
): ((path: string, name: string) => boolean) & { names: ReadonlySet<string> } {
  const byName = new Map<string, { exact: string[]; suffixes: string[] }>();
  for (const raw of patterns) {
    const anywhere = raw.trim().startsWith("//");
    const pattern = raw.trim().replace(/^\/+|\/+$/g, "");
    if (pattern === "") continue;
    const name = pattern.slice(pattern.lastIndexOf("/") + 1);
    let entry = byName.get(name);
    if (!entry) byName.set(name, (entry = { exact: [], suffixes: [] }));
    entry.exact.push(pattern);
    if (anywhere) entry.suffixes.push(`/${pattern}`);
  }
  const matches = (path: string, name: string) => {
    const entry = byName.get(name);
    if (entry === undefined) return false;
    return entry.exact.includes(path) || entry.suffixes.some((suffix) => path.endsWith(suffix));
  };
  return Object.assign(matches, { names: new Set(byName.keys()) as ReadonlySet<string> });
}

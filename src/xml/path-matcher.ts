/**
 * Compiles profile path patterns ("a/b" from below the root, "//a/b" at any depth) into one
 * predicate over slash paths of element names below the root. Patterns are indexed by their
 * last name, so the common case (an element no pattern ends with) is one map lookup and the
 * path string is never flattened.
 */
export function compilePathMatcher(
  patterns: readonly string[] = [],
): (path: string, name: string) => boolean {
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
  return (path, name) => {
    const entry = byName.get(name);
    if (entry === undefined) return false;
    return entry.exact.includes(path) || entry.suffixes.some((suffix) => path.endsWith(suffix));
  };
}

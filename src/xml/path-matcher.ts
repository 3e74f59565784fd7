/**
 * Compiles profile path patterns ("a/b" from below the root, "//a/b" at any depth) into one
 * predicate over slash paths of element names below the root.
 */
export function compilePathMatcher(patterns: readonly string[] = []): (path: string) => boolean {
  const exact = new Set<string>();
  const anywhere: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim();
    if (pattern.startsWith("//")) anywhere.push(pattern.slice(2).replace(/^\/+|\/+$/g, ""));
    else if (pattern !== "") exact.add(pattern.replace(/^\/+|\/+$/g, ""));
  }
  const suffixes = anywhere.filter((p) => p !== "").map((p) => `/${p}`);
  if (suffixes.length === 0) return (path) => exact.has(path);
  return (path) => {
    if (exact.has(path)) return true;
    for (const suffix of suffixes) {
      if (path.endsWith(suffix) || path === suffix.slice(1)) return true;
    }
    return false;
  };
}

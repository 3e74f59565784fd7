import { existsSync, readFileSync } from "node:fs";

let root: URL | undefined;

/**
 * The package's own folder (where package.json, templates/ and hooks/ live), found by walking up
 * from this module: the same answer from the TypeScript sources (src/core/) and from the bundle
 * in dist/, whose chunks sit one level lower.
 */
export function packageRoot(): URL {
  if (root) return root;
  let dir = new URL(".", import.meta.url);
  for (let i = 0; i < 6; i++) {
    const manifest = new URL("package.json", dir);
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "confvault") {
          root = dir;
          return dir;
        }
      } catch {
        // not ours: keep walking up
      }
    }
    dir = new URL("..", dir);
  }
  throw new Error("confvault's package.json was not found above its code");
}

/** A file shipped with the package, e.g. `packageFile("templates/commit-message.txt")`. */
export function packageFile(relative: string): URL {
  return new URL(relative, packageRoot());
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string }).version;
}

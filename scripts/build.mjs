#!/usr/bin/env node
// Builds the CLI into dist/: one ES module entry plus lazily loaded chunks (esbuild code
// splitting), every dependency bundled, so a command loads only what it uses and no TypeScript
// is compiled at run time. Run by `npm ci` (prepare), `npm test` and `npm run build`.
// The new tree is built beside dist/ and swapped in, so processes started meanwhile still run.
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = path.join(root, "dist");
const quiet = process.argv.includes("--quiet");

/** A digest of every source file's path, size and mtime, and of this script and the lockfile. */
async function sourceStamp() {
  const hash = createHash("sha256");
  const walk = async (dir) => {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const st = await fsp.stat(full);
        hash.update(`${full}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  await walk(path.join(root, "src"));
  for (const f of ["scripts/build.mjs", "package-lock.json", "package.json"]) {
    const st = await fsp.stat(path.join(root, f));
    hash.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest("hex");
}

const stamp = await sourceStamp();
const previous = await fsp.readFile(path.join(dist, ".stamp"), "utf8").catch(() => "");
if (previous === stamp && !process.argv.includes("--force")) {
  if (!quiet) console.log("dist/ is up to date");
  process.exit(0);
}
const next = `${dist}.next-${process.pid}`;
await fsp.rm(next, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { entry: "src/cli/entry.ts" },
  outdir: next,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "linked",
  // CommonJS dependencies bundled into ES modules still call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __cvRequire } from "node:module"; const require = __cvRequire(import.meta.url);',
  },
  logLevel: "warning",
  metafile: true,
  // The settings cache (src/settings/checked-settings.ts) trusts only what this very build validated.
  define: { __CONFVAULT_BUILD__: JSON.stringify(stamp) },
});
await fsp.writeFile(path.join(next, ".stamp"), stamp);
const old = `${dist}.old-${process.pid}`;
await fsp.rename(dist, old).catch(() => undefined);
await fsp.rename(next, dist);
await fsp.rm(old, { recursive: true, force: true });
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".js"));
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
if (!quiet)
  console.log(`dist/: ${outputs.length} modules, ${(bytes / 1024 / 1024).toFixed(1)} MiB of JavaScript`);

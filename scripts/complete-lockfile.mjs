#!/usr/bin/env node
// The npm registry this project is built against does not serve every platform build of biome
// and deno, so `npm install` writes a lockfile without them and `npm ci` then refuses the lockfile
// as out of sync. This adds the missing platform packages as optional, os/cpu-restricted entries:
// npm ci never fetches a package for another platform, so nothing else changes.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const platform = (name) => {
  const m = /(android|darwin|linux|win32)-(arm64|x64)(?:-(musl|glibc))?$/.exec(name);
  if (!m) return undefined;
  return { os: [m[1]], cpu: [m[2]], ...(m[3] ? { libc: [m[3]] } : {}) };
};
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const path = `node_modules/${dep}`;
    if (lock.packages[path]) continue;
    const facts = platform(dep);
    if (!facts) continue;
    lock.packages[path] = { version, dev: entry.dev, optional: true, ...facts };
    added++;
    if (process.env.VERBOSE) console.log(`${key} → ${path}`);
  }
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries`);

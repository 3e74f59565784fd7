#!/usr/bin/env node
// Runs the core smoke tests under Deno, with the Deno binary from the npm `deno` package.
// Deno resolves bare specifiers from this checkout's node_modules (package.json present).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
let deno;
try {
  deno = path.join(path.dirname(require.resolve("deno/package.json")), "deno");
} catch {
  console.error("the npm `deno` package is not installed: run npm ci");
  process.exit(1);
}
const result = spawnSync(
  deno,
  ["test", "--allow-all", "--node-modules-dir=manual", "--no-check", "deno-compat/"],
  { cwd: root, stdio: "inherit", env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } },
);
process.exit(result.status ?? 1);

#!/usr/bin/env node
// Runs the uvu suite through tsx and prints a final "N passed, N failed" line.
// uvu exits 0 when no test ran and has no failed count: this wrapper fixes both.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const dir = args[0] ?? "test";
const pattern = args[1] ?? "\\.test\\.ts$";
// The CLI tests run the compiled CLI (bin/confvault.js → dist/), as users do: build it first.
const built = spawnSync(process.execPath, ["scripts/build.mjs", "--quiet"], { cwd: root, stdio: "inherit" });
if (built.status !== 0) {
  console.error("the build failed\n0 passed, 1 failed");
  process.exit(1);
}
const child = spawn(
  process.execPath,
  ["--import", "tsx", "node_modules/uvu/bin.js", dir, pattern, "--no-color", "--ignore", "bench"],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } },
);
let out = "";
child.stdout.on("data", (chunk) => {
  const text = chunk.toString();
  out += text;
  process.stdout.write(text);
});
child.on("close", (code) => {
  const num = (label) => Number(out.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
  const total = num("Total");
  const passed = num("Passed");
  const skipped = num("Skipped");
  const failed = Math.max(0, total - passed - skipped) + (code !== 0 && total === passed + skipped ? 1 : 0);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  if (total === 0) {
    console.error("no test ran");
    process.exit(1);
  }
  process.exit(code !== 0 || failed > 0 ? 1 : 0);
});

// `npm run bench`: imports every test/bench/*.bench.ts and runs its exported `run()`.
// Optional filter: `npm run bench -- engine` runs only files whose name contains "engine".
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { QUICK } from "./lib.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));
const filter = process.argv[2] ?? "";
const files = readdirSync(dir)
  .filter((name) => name.endsWith(".bench.ts") && name.includes(filter))
  .sort();

console.log(
  `confvault benchmarks${QUICK ? " (BENCH_QUICK=1: fewer iterations)" : ""}: ${files.length} module(s), node ${process.version}, ${process.platform}`,
);
let failed = 0;
for (const name of files) {
  const mod = (await import(pathToFileURL(`${dir}${name}`).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== "function") {
    console.error(`${name}: no exported run() — skipped`);
    continue;
  }
  console.log(`\n=== ${name}`);
  const start = performance.now();
  try {
    await mod.run();
  } catch (err) {
    failed++;
    console.error(`${name} failed:`, err);
  }
  console.log(`(${name}: ${((performance.now() - start) / 1000).toFixed(1)} s)`);
}
if (failed > 0) process.exitCode = 1;

// Child process for the crash test: applies two configs in turn until killed.
import { promises as fsp } from "node:fs";
import { applyConfig } from "../../src/api/apply.ts";
import { openHome } from "../../src/home/open-home.ts";

const [home, fileA, fileB] = process.argv.slice(2);
const ctx = await openHome({ dir: home, env: process.env });
const configs = [new Uint8Array(await fsp.readFile(fileA)), new Uint8Array(await fsp.readFile(fileB))];
await ctx.keys();
process.stdout.write("ready\n");
for (let i = 0; ; i++) {
  await applyConfig({ ctx, config: configs[i % 2], reason: `loop ${i}`, actor: "crash-test" });
}

// Child process for home-lock tests: takes the home lock, prints what it recorded, then either
// holds it until killed ("hold") or releases it and exits ("once").
import { readFileSync } from "node:fs";
import path from "node:path";
import { acquireHomeLock } from "../../src/home/home-lock.ts";

const [home, mode] = process.argv.slice(2);
const warnings: string[] = [];
const lock = await acquireHomeLock(home, {
  waitMs: 3000,
  operation: "test",
  logger: { warn: (_fields, message) => warnings.push(message) },
});
const recorded = JSON.parse(readFileSync(path.join(home, "state", "write.lock"), "utf8"));
process.stdout.write(`${JSON.stringify({ pid: process.pid, recorded, warnings })}\n`);
if (mode === "once") await lock.release();
else setInterval(() => {}, 60_000);

// Backup operations at scale: `prune` and `verify --drill --all` on a 2,000-point history, and the
// repository size on disk after a simulated year of hourly captures with daily maintenance.
// BENCH_QUICK=1: 200 points and 30 simulated days instead of 2,000 points and 365 days.
import { promises as fsp } from "node:fs";
import path from "node:path";
import { applyConfig } from "../../src/api/apply.ts";
import { capture } from "../../src/api/capture.ts";
import { maintenance } from "../../src/api/maintenance.ts";
import { prune } from "../../src/api/prune.ts";
import { verify } from "../../src/api/verify.ts";
import { DEFAULT_RETENTION } from "../../src/backup/retention-plan.ts";
import { openHome } from "../../src/home/open-home.ts";
import { variant } from "../backup/backup-fixtures.ts";
import { tempHome } from "../helpers/temp-home.ts";
import { mib, printFacts, QUICK } from "./lib.ts";

const HOUR = 3_600_000;

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(p) : (await fsp.stat(p)).size;
  }
  return total;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function history(points: number) {
  const h = await tempHome();
  let t = Date.UTC(2026, 0, 1);
  const ctx = await openHome({ dir: h.dir, env: h.env, now: () => new Date(t) });
  const t0 = performance.now();
  for (let i = 0; i < points; i++) {
    t += HOUR;
    await applyConfig({
      ctx,
      config: variant(1000 + i),
      reason: `change ${i}`,
      actor: "bench",
      noLive: true,
    });
  }
  const buildMs = performance.now() - t0;
  await maintenance({ ctx });

  let start = performance.now();
  const drill = await verify({ ctx, all: true, drill: true });
  const drillMs = performance.now() - start;
  if (!drill.ok) throw new Error("drill failed in the benchmark");

  start = performance.now();
  const dry = await prune({ ctx, policy: DEFAULT_RETENTION, dryRun: true, actor: "bench" });
  const dryMs = performance.now() - start;
  start = performance.now();
  const real = await prune({ ctx, policy: DEFAULT_RETENTION, actor: "bench" });
  const pruneMs = performance.now() - start;

  printFacts(`restore-point history: ${points} points, one per simulated hour`, [
    ["build (applyConfig --no-live)", `${secs(buildMs)} (${(buildMs / points).toFixed(1)} ms/point)`],
    [
      "verify --drill --all",
      `${secs(drillMs)} (${(drillMs / points).toFixed(2)} ms/point, ${drill.points.length} points)`,
    ],
    ["prune --dry-run", `${secs(dryMs)}`],
    [
      "prune (remove tags + audit commit)",
      `${secs(pruneMs)}: removed ${real.removed.length}, kept ${real.kept.length} (dry run said ${dry.removed.length})`,
    ],
  ]);
  await h.cleanup();
}

/**
 * `allHours`: capture every simulated hour. Without it, unchanged hours are captured once a day
 * only: an unchanged capture writes nothing to the repository (it compares and returns), so the
 * size on disk is the same and the full year fits in about a minute.
 */
async function yearOfCaptures(days: number, allHours: boolean) {
  const h = await tempHome();
  let t = Date.UTC(2026, 0, 1);
  const ctx = await openHome({ dir: h.dir, env: h.env, now: () => new Date(t) });
  await applyConfig({ ctx, config: variant(100), reason: "initial", actor: "bench" });
  const live = ctx.live("config")!;
  // Three out-of-band changes a day (at 09:00, 13:00 and 17:00); every other hour captures nothing new.
  const changeHours = new Set([9, 13, 17]);
  let changes = 0;
  let noop = 0;
  let maint = 0;
  let maintMs = 0;
  const t0 = performance.now();
  for (let hour = 0; hour < days * 24; hour++) {
    t += HOUR;
    if (changeHours.has(hour % 24)) {
      await fsp.writeFile(live, variant(200 + changes));
      changes++;
    }
    if (allHours || changeHours.has(hour % 24) || hour % 24 === 0) {
      const r = await capture({ ctx, actor: "confvault-scheduler" });
      if (!r.changed) noop++;
    }
    if (hour % 24 === 23) {
      const m0 = performance.now();
      await maintenance({ ctx });
      maintMs += performance.now() - m0;
      maint++;
    }
  }
  const totalMs = performance.now() - t0;
  const repoBytes = await folderBytes(ctx.layout.gitdir);
  const tags = (await ctx.engine.listTags("rp/")).length;
  printFacts(
    `a simulated ${days === 365 ? "year" : `${days} days`} of hourly captures (3 changes a day), daily maintenance`,
    [
      [
        "captures",
        `${changes + noop} run (${changes} changed, ${noop} unchanged)${allHours ? "" : `; the other ${days * 24 - changes - noop} unchanged hours skipped (they write nothing)`}`,
      ],
      ["restore points", tags],
      [
        "repository on disk",
        `${mib(repoBytes)} (${(repoBytes / Math.max(1, tags) / 1024).toFixed(2)} KiB per restore point)`,
      ],
      [
        "time",
        `${secs(totalMs)} total, capture ${((totalMs - maintMs) / (changes + noop)).toFixed(1)} ms each, maintenance ${(maintMs / Math.max(1, maint)).toFixed(0)} ms × ${maint}`,
      ],
    ],
  );
  await h.cleanup();
}

export async function run(): Promise<void> {
  if (QUICK)
    console.log("BENCH_QUICK=1: 200-point history and 30 simulated days (full: 2,000 points, 365 days)");
  await history(QUICK ? 200 : 2000);
  await yearOfCaptures(QUICK ? 30 : 365, QUICK);
}

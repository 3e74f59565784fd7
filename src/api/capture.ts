import { promises as fsp } from "node:fs";
import { currentCertKey, tagOf } from "../core/current-cert-key.ts";
import { lockHome } from "../core/lock-home.ts";
import { openSnapshot } from "../core/read-snapshot.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { stripVolatile } from "../xml/strip-volatile.ts";
import { applyConfig } from "./apply.ts";
import type { ApplyResult } from "./types.ts";

export interface CaptureOptions {
  ctx: HomeContext;
  reason?: string;
  actor: string;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads the live files as the appliance left them and makes a restore point when they changed
 * beyond the profile's volatile fields (revision time and the like). The live files are not touched.
 */
export async function capture({ ctx, reason, actor }: CaptureOptions): Promise<ApplyResult> {
  // Under the lock, after the lock-time repair: an interrupted apply is finished first, so its
  // stale live file is never recorded as a new restore point (a silent revert).
  const lock = await lockHome(ctx, "capture");
  try {
    const livePath = ctx.live("config")!;
    let live: Uint8Array;
    try {
      live = new Uint8Array(await fsp.readFile(livePath));
    } catch {
      throw new ConfvaultError(
        "NOT_FOUND",
        `the live config ${livePath} does not exist`,
        "check the home's profile and --live-root",
      );
    }
    const parent = await ctx.engine.branchTip("main");
    const pair = await currentCertKey(ctx, null);
    if (parent) {
      const snap = await openSnapshot(ctx, parent);
      const sameConfig = sameBytes(
        stripVolatile(live, ctx.profile.volatilePaths),
        stripVolatile(snap.config, ctx.profile.volatilePaths),
      );
      const samePair =
        (pair.cert === undefined || pair.cert === snap.bundle.cert) &&
        (pair.key === undefined || pair.key === snap.bundle.key);
      if (sameConfig && samePair) {
        return {
          commit: parent,
          tag: (await tagOf(ctx, parent)) ?? "",
          changed: false,
          dryRun: false,
          liveWritten: false,
          warnings: ["the live files did not change beyond volatile fields: nothing to capture"],
        };
      }
    }
    return await applyConfig({
      ctx,
      config: live,
      cert: pair.cert,
      key: pair.key,
      reason: reason?.trim() || "captured a change made on the appliance",
      actor,
      source: "capture",
      locked: true,
    });
  } catch (err) {
    throw inOperation("capture", err);
  } finally {
    await lock.release();
  }
}

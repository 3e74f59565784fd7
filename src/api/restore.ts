import { lockHome } from "../core/lock-home.ts";
import { requireReason } from "../core/require-reason.ts";
import { restoreTo } from "../core/restore-to.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { RestoreResult } from "./types.ts";

export interface RestoreOptions {
  ctx: HomeContext;
  ref: string;
  reason: string;
  actor: string;
  dryRun?: boolean;
  /** Keep this node's own bytes for the profile's node-local sections. */
  keepLocal?: boolean;
  noLive?: boolean;
  force?: boolean;
}

/** Puts a restore point back live as a new commit on top of main; history is never rewritten. */
export async function restore({
  ctx,
  ref,
  reason,
  actor,
  dryRun = false,
  keepLocal = false,
  noLive = false,
  force = false,
}: RestoreOptions): Promise<RestoreResult> {
  const why = requireReason(reason, "restore");
  const lock = dryRun ? undefined : await lockHome(ctx, "restore");
  try {
    return await restoreTo(ctx, { ref, reason: why, actor, dryRun, keepLocal, noLive, force });
  } catch (err) {
    throw inOperation("restore", err);
  } finally {
    await lock?.release();
  }
}

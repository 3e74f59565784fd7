import { lockHome } from "../core/lock-home.ts";
import { requireReason } from "../core/require-reason.ts";
import { type RestoreOutcome, restoreTo } from "../core/restore-to.ts";
import type { MissingSections } from "../core/splice-sections.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

export interface RestoreOptions {
  ctx: HomeContext;
  /** A revision: restore point (with or without rp/), main~N, HEAD, @, a commit id… */
  ref: string;
  reason: string;
  actor: string;
  /** Write nothing; the result carries the preview diff (current and live → the point). */
  dryRun?: boolean;
  /** Keep this node's own bytes for the profile's node-local sections. */
  keepLocal?: boolean;
  noLive?: boolean;
  /** Skip the manifest hash checks. */
  force?: boolean;
  /** Make a restore point even when the point is already current and live. */
  record?: boolean;
  /** Partial restore: only these sections from REF (see spliceSections); the rest stays as it is. */
  sections?: string[];
  missing?: MissingSections;
  /** Partial restore of the certificate and key from REF. */
  certificate?: boolean;
}

/**
 * Puts a restore point back live as a new commit on top of main; history is never rewritten.
 * A point that is already current and live makes no commit (changed: false) unless `record`.
 */
export async function restore({
  ctx,
  ref,
  reason,
  actor,
  dryRun = false,
  keepLocal = false,
  noLive = false,
  force = false,
  record = false,
  sections,
  missing,
  certificate,
}: RestoreOptions): Promise<RestoreOutcome> {
  const why = requireReason(reason, "restore");
  const lock = dryRun ? undefined : await lockHome(ctx, "restore");
  try {
    return await restoreTo(ctx, {
      ref,
      reason: why,
      actor,
      dryRun,
      keepLocal,
      noLive,
      force,
      record,
      ...(sections?.length ? { sections } : {}),
      ...(missing ? { missing } : {}),
      ...(certificate ? { certificate } : {}),
    });
  } catch (err) {
    throw inOperation("restore", err);
  } finally {
    await lock?.release();
  }
}

import { lockHome } from "../core/lock-home.ts";
import { requireReason } from "../core/require-reason.ts";
import { restoreTo } from "../core/restore-to.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { RestoreResult } from "./types.ts";

export interface RollbackOptions {
  ctx: HomeContext;
  /** How many commits of main to go back (default 1: the state before the last change). */
  steps?: number;
  reason: string;
  actor: string;
  dryRun?: boolean;
}

/** Restores the state of main `steps` changes ago (first-parent history). */
export async function rollback({
  ctx,
  steps = 1,
  reason,
  actor,
  dryRun = false,
}: RollbackOptions): Promise<RestoreResult> {
  const why = requireReason(reason, "rollback");
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfvaultError(
      "BAD_USAGE",
      `--steps must be a positive whole number, got ${steps}`,
      "for example --steps 2",
    );
  const lock = dryRun ? undefined : await lockHome(ctx, "rollback");
  try {
    const history = await ctx.engine.log({ ref: "main", depth: steps + 1 });
    const target = history[steps];
    if (!target) {
      throw new ConfvaultError(
        "NOT_FOUND",
        `there are only ${history.length} restore points on main; cannot go back ${steps}`,
        "use `confvault log` to pick one, then `confvault restore REF`",
      );
    }
    return await restoreTo(ctx, { ref: target.oid, reason: why, actor, dryRun });
  } catch (err) {
    throw inOperation("rollback", err);
  } finally {
    await lock?.release();
  }
}

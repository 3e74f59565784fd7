import { lockHome } from "../core/lock-home.ts";
import { decodeManifest } from "../core/manifest.ts";
import { MANIFEST_FILE } from "../core/prepare-snapshot.ts";
import { requireReason } from "../core/require-reason.ts";
import { type RestoreOutcome, restoreTo } from "../core/restore-to.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

export interface RollbackOptions {
  ctx: HomeContext;
  /** How many distinct policies to go back (default 1: the policy before the current one). */
  steps?: number;
  reason: string;
  actor: string;
  /** Write nothing; the result carries the preview diff (current and live → the target). */
  dryRun?: boolean;
}

/**
 * Goes back to the policy in force before the current one (or `steps` distinct policies back) in
 * main's first-parent history, skipping restore points whose config, secrets and certificate equal
 * the current ones (a re-apply, a restore of the same point). Recorded as a rollback (source and
 * subject "rollback"), never rewriting history.
 */
export async function rollback({
  ctx,
  steps = 1,
  reason,
  actor,
  dryRun = false,
}: RollbackOptions): Promise<RestoreOutcome> {
  const why = requireReason(reason, "rollback");
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfvaultError(
      "BAD_USAGE",
      `--steps must be a positive whole number, got ${steps}`,
      "for example --steps 2",
    );
  const lock = dryRun ? undefined : await lockHome(ctx, "rollback");
  try {
    const target = await previousPolicy(ctx, steps);
    return await restoreTo(ctx, { ref: target, reason: why, actor, dryRun, rollback: true });
  } catch (err) {
    throw inOperation("rollback", err);
  } finally {
    await lock?.release();
  }
}

/**
 * The newest commit of the `steps`-th distinct earlier policy on main (first parents): policies
 * equal to the current one or to one already counted are passed over.
 */
export async function previousPolicy(ctx: HomeContext, steps: number): Promise<string> {
  const tip = await ctx.engine.branchTip("main");
  const policyOf = async (commit: string): Promise<string | null> => {
    try {
      const m = decodeManifest(await ctx.engine.readFile(commit, MANIFEST_FILE), commit);
      return JSON.stringify([
        m.config.sha256,
        m.secrets?.digest ?? null,
        m.certificate?.fingerprint256 ?? null,
      ]);
    } catch {
      return null; // not a restore point (or unreadable): not a policy to go back to
    }
  };
  const current = tip ? await policyOf(tip) : null;
  // Policies already passed over: each distinct one counts once, the current one never.
  const seen = new Set<string | null>([current]);
  let found = 0;
  let oid: string | undefined = tip ? (await ctx.engine.readCommit(tip)).parents[0] : undefined;
  while (oid !== undefined) {
    const policy = await policyOf(oid);
    if (policy !== null && !seen.has(policy)) {
      found++;
      if (found === steps) return oid;
      seen.add(policy);
    }
    oid = (await ctx.engine.readCommit(oid)).parents[0];
  }
  throw new ConfvaultError(
    "NOT_FOUND",
    found === 0
      ? "there is no earlier restore point with a different config on main: nothing to roll back to"
      : `main has only ${found} earlier distinct ${found === 1 ? "policy" : "policies"}; cannot go back ${steps}`,
    "use `confvault log` to pick a restore point, then `confvault restore REF`",
    { steps, found },
  );
}

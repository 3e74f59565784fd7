import { planRetention, type RetentionDecision, type RetentionPolicy } from "../backup/retention-plan.ts";
import { changeAuthor } from "../core/change-author.ts";
import { lockHome } from "../core/lock-home.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { TrashedTag } from "../repo/engine.ts";

export const AUDIT_BRANCH = "confvault-audit";
const AUDIT_FILE = "pruned.jsonl";

export interface PruneResult {
  dryRun: boolean;
  kept: RetentionDecision[];
  removed: RetentionDecision[];
  /** Commit on the audit branch that records the removal. */
  auditCommit?: string;
  /** Trashed restore points older than retention.trashDays, dropped for good by this run. */
  expired?: string[];
}

/** Drops trash entries older than retention.trashDays; returns them. The caller holds the home lock. */
export async function expireTrash(ctx: HomeContext): Promise<TrashedTag[]> {
  const limit = ctx.now().getTime() - ctx.settings.retention.trashDays * 86_400_000;
  const old = (await ctx.engine.listTrash()).filter((e) => Date.parse(e.deletedAt) <= limit);
  await ctx.engine.expireTrash(old);
  return old;
}

/**
 * Applies a retention policy to restore points: removes the tags the policy does not keep
 * (commits and history stay), and appends what was removed to `pruned.jsonl` on the
 * `confvault-audit` branch so the audit trail survives.
 */
export async function prune({
  ctx,
  policy,
  dryRun = false,
  actor,
}: {
  ctx: HomeContext;
  policy: RetentionPolicy;
  dryRun?: boolean;
  actor: string;
}): Promise<PruneResult> {
  const lock = dryRun ? undefined : await lockHome(ctx, "prune");
  try {
    const tags = await ctx.engine.listTags("rp/");
    const plan = planRetention(
      tags.map((t) => ({ tag: t.name, time: t.tagger.timestamp, sequence: t.sequence })),
      policy,
    );
    const byName = new Map(tags.map((t) => [t.name, t]));
    const removed = plan.filter((d) => !d.keep);
    const result: PruneResult = { dryRun, kept: plan.filter((d) => d.keep), removed };
    if (dryRun) return result;
    if (removed.length === 0) {
      result.expired = (await expireTrash(ctx)).map((e) => e.name);
      return result;
    }
    const now = ctx.now();
    const tip = await ctx.engine.branchTip(AUDIT_BRANCH);
    const previous = tip ? new TextDecoder().decode(await ctx.engine.readFile(tip, AUDIT_FILE)) : "";
    const lines = removed.map((d) =>
      JSON.stringify({
        prunedAt: now.toISOString(),
        by: actor,
        tag: d.tag,
        commit: byName.get(d.tag)?.commit,
        tagObject: byName.get(d.tag)?.oid,
        time: new Date(d.time * 1000).toISOString(),
        message: byName.get(d.tag)?.message.split("\n")[0],
      }),
    );
    // Record first, then delete: a crash in between leaves tags that a re-run prunes again.
    result.auditCommit = await ctx.engine.commitFiles({
      branch: AUDIT_BRANCH,
      files: { [AUDIT_FILE]: new TextEncoder().encode(`${previous}${lines.join("\n")}\n`) },
      message: `prune: removed ${removed.length} restore point(s)\n\nConfvault-Actor: ${actor}\nConfvault-Source: prune\n`,
      author: changeAuthor(ctx, actor, "confvault"),
      expectedParent: tip,
    });
    // Into the trash for retention.trashDays (undelete brings one back), or gone at once with 0.
    if (ctx.settings.retention.trashDays > 0)
      await ctx.engine.trashTags(
        removed.map((d) => d.tag),
        now,
      );
    else await ctx.engine.deleteTags(removed.map((d) => d.tag));
    result.expired = (await expireTrash(ctx)).map((e) => e.name);
    return result;
  } catch (err) {
    throw inOperation("prune", err);
  } finally {
    await lock?.release();
  }
}

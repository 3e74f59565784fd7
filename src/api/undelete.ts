import { lockHome } from "../core/lock-home.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { TrashedTag } from "../repo/engine.ts";

export interface DeletedPoint {
  tag: string;
  commit: string;
  deletedAt: string;
  /** When the trash drops it for good (retention.trashDays after deletedAt). */
  expiresAt: string;
  time: string;
  subject: string;
}

function describe(ctx: HomeContext, e: TrashedTag): DeletedPoint {
  return {
    tag: e.name,
    commit: e.commit,
    deletedAt: e.deletedAt,
    expiresAt: new Date(
      Date.parse(e.deletedAt) + ctx.settings.retention.trashDays * 86_400_000,
    ).toISOString(),
    time: new Date(e.tagger.timestamp * 1000).toISOString(),
    subject: e.message.split("\n")[0] ?? "",
  };
}

/** Restore points prune moved to the trash, newest deletion first (`log --deleted`). */
export async function listDeleted({ ctx }: { ctx: HomeContext }): Promise<DeletedPoint[]> {
  return (await ctx.engine.listTrash()).map((e) => describe(ctx, e));
}

/**
 * Brings a pruned restore point back from the trash under its old name (with or without `rp/`);
 * the newest deletion when the name was trashed more than once. It lists, restores and diffs
 * again like any restore point.
 */
export async function undelete({ ctx, tag }: { ctx: HomeContext; tag: string }): Promise<DeletedPoint> {
  const lock = await lockHome(ctx, "undelete");
  try {
    const trash = await ctx.engine.listTrash();
    const wanted = [tag, tag.startsWith("rp/") ? tag.slice(3) : `rp/${tag}`];
    const entry = trash.find((e) => wanted.includes(e.name));
    if (!entry) {
      throw new ConfvaultError(
        "NOT_FOUND",
        `${tag} is not in the trash`,
        trash.length > 0
          ? `\`confvault log --deleted\` lists what can be brought back (${trash.length} restore point(s))`
          : "the trash is empty: pruned restore points stay there for retention.trashDays",
        { tag },
      );
    }
    await ctx.engine.untrashTag(entry);
    return describe(ctx, entry);
  } catch (err) {
    throw inOperation("undelete", err);
  } finally {
    await lock.release();
  }
}

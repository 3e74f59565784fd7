import { lockHome } from "../core/lock-home.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { expireTrash } from "./prune.ts";

/**
 * Packs the repository with the git CLI (isomorphic-git never packs). Trashed restore points
 * older than retention.trashDays are dropped first; younger ones keep their objects through gc.
 */
export async function maintenance({ ctx }: { ctx: HomeContext }) {
  const lock = await lockHome(ctx, "maintenance", { waitMs: 60_000 });
  try {
    const expired = (await expireTrash(ctx)).map((e) => e.name);
    return { ...(await ctx.engine.maintenance()), expiredFromTrash: expired };
  } catch (err) {
    throw inOperation("maintenance", err);
  } finally {
    await lock.release();
  }
}

import { lockHome } from "../core/lock-home.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** Packs the repository with the git CLI (isomorphic-git never packs). */
export async function maintenance({ ctx }: { ctx: HomeContext }) {
  const lock = await lockHome(ctx, "maintenance", { waitMs: 60_000 });
  try {
    return await ctx.engine.maintenance();
  } catch (err) {
    throw inOperation("maintenance", err);
  } finally {
    await lock.release();
  }
}

import { removeRemoteFrom } from "../backup/remove-remote.ts";
import { lockHome } from "../core/lock-home.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** Forgets a remote (definition, stored token, push record); the remote repository is untouched. */
export async function remoteRemove({ ctx, name }: { ctx: HomeContext; name: string }): Promise<void> {
  const lock = await lockHome(ctx, "remote remove");
  try {
    await removeRemoteFrom(ctx.layout, name);
  } catch (err) {
    throw inOperation("remote remove", err);
  } finally {
    await lock.release();
  }
}

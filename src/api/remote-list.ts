import { listRemotesOf, type RemoteEntry } from "../backup/list-remotes.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** Remotes with their token source and last push (time, ok, error). */
export async function remoteList({ ctx }: { ctx: HomeContext }): Promise<RemoteEntry[]> {
  try {
    return await listRemotesOf(ctx.layout);
  } catch (err) {
    throw inOperation("remote list", err);
  }
}

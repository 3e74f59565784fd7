import { parseTrailers } from "../core/commit-message.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { RestorePoint } from "./types.ts";

/** Restore points, newest first: tag, time, actor, reason, source, commit. */
export async function listRestorePoints({
  ctx,
  limit,
}: {
  ctx: HomeContext;
  limit?: number;
}): Promise<RestorePoint[]> {
  try {
    // The limit goes to the engine, after ordering: `log -n 1` parses one message, not all.
    const tags = await ctx.engine.listTags("rp/", limit === undefined ? {} : { limit });
    return tags.map((t) => {
      const { subject, trailers } = parseTrailers(t.message);
      return {
        tag: t.name,
        commit: t.commit,
        time: new Date(t.tagger.timestamp * 1000).toISOString(),
        actor: trailers["Confvault-Actor"] ?? t.tagger.name,
        reason: trailers["Confvault-Reason"] ?? subject,
        source: trailers["Confvault-Source"] ?? "",
      };
    });
  } catch (err) {
    throw inOperation("log", err);
  }
}

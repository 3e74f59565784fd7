import type { PushOutcome } from "../backup/push-remote.ts";
import { pushToRemotes } from "../backup/push-remotes.ts";
import { s3PushHandler } from "../backup/s3-push.ts";
import type { PushProgress } from "../backup/transport.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

export interface RemotePushOptions {
  ctx: HomeContext;
  /** Environment for token variables (`--token-env`). */
  env: Record<string, string | undefined>;
  /** One remote; default: all. */
  name?: string;
  onProgress?: (p: PushProgress) => void;
  onResult?: (outcome: PushOutcome) => void;
}

/**
 * Pushes main and all restore points to every remote (or one). Every result is recorded; when
 * any remote failed or diverged this throws (REMOTE_DIVERGED if one diverged, else
 * REMOTE_FAILED) with all outcomes in `data.results`, so the CLI exits non-zero.
 */
export async function remotePush({
  ctx,
  env,
  name,
  onProgress,
  onResult,
}: RemotePushOptions): Promise<PushOutcome[]> {
  try {
    const results = await pushToRemotes({
      layout: ctx.layout,
      engine: ctx.engine,
      env,
      name,
      now: ctx.now,
      onProgress,
      onResult,
      pushS3: s3PushHandler(ctx, env),
      pushTrash: ctx.settings.retention.pushTrash,
    });
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      const code = failed.some((r) => r.error?.code === "REMOTE_DIVERGED")
        ? "REMOTE_DIVERGED"
        : "REMOTE_FAILED";
      throw new ConfvaultError(
        code,
        `push failed for ${failed.length} of ${results.length} remote(s): ${failed.map((r) => `${r.remote}: ${r.error?.message}`).join("; ")}`,
        failed[0]?.error?.hint || "see `confvault remote list`",
        { results },
      );
    }
    return results;
  } catch (err) {
    throw inOperation("remote push", err);
  }
}

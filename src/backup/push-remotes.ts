import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeLayout } from "../home/layout.ts";
import type { RepoEngine } from "../repo/engine.ts";
import { gitOnPath } from "./git-on-path.ts";
import { type PushOutcome, pushRemote } from "./push-remote.ts";
import { type Remote, readRemotes, recordPush } from "./remote-store.ts";
import { resolveRemoteToken } from "./remote-token.ts";
import { redactUrl } from "./remote-url.ts";
import { isS3Url } from "./s3-settings.ts";
import type { PushProgress } from "./transport.ts";

export interface PushRemotesInput {
  layout: HomeLayout;
  engine: RepoEngine;
  env: Record<string, string | undefined>;
  /** One remote; default: every remote. */
  name?: string;
  now: () => Date;
  onProgress?: (p: PushProgress) => void;
  /** Called as each remote finishes (before the next starts). */
  onResult?: (outcome: PushOutcome) => void;
  /** Pushes one s3:// remote (src/backup/s3-push.ts needs the home's signer, so the caller wires it). */
  pushS3?: (remote: Remote, onProgress?: (p: PushProgress) => void) => Promise<PushOutcome>;
  /** settings.retention.pushTrash: git remotes also get refs/confvault/trash/*. */
  pushTrash?: boolean;
}

/**
 * Pushes main and every rp/* tag to each remote in turn and records each result (time, ok,
 * error) in `<home>/state/remotes.json`. One remote failing does not stop the others.
 */
export async function pushToRemotes({
  layout,
  engine,
  env,
  name,
  now,
  onProgress,
  onResult,
  pushS3,
  pushTrash = false,
}: PushRemotesInput): Promise<PushOutcome[]> {
  const all = await readRemotes(layout.remotes);
  const chosen = name === undefined ? all : all.filter((r) => r.name === name);
  if (name !== undefined && chosen.length === 0) {
    throw new ConfvaultError("NOT_FOUND", `no remote named ${name}`, "see `confvault remote list`", {
      remote: name,
    });
  }
  if (chosen.length === 0) {
    throw new ConfvaultError(
      "NOTHING_TO_DO",
      "no remotes to push to",
      "add one: confvault remote add offsite https://git.example.com/team/configs.git --token-env TOKEN",
    );
  }
  const gitAvailable = await gitOnPath();
  const outcomes: PushOutcome[] = [];
  for (const remote of chosen) {
    let outcome: PushOutcome;
    try {
      if (isS3Url(remote.url)) {
        if (!pushS3)
          throw new ConfvaultError(
            "REMOTE_FAILED",
            `remote ${remote.name} is an S3 bucket`,
            "push it with `confvault remote push`",
          );
        outcome = await pushS3(remote, onProgress);
      } else {
        const token = await resolveRemoteToken(remote, layout.remoteTokens, env);
        outcome = await pushRemote({ engine, remote, token, gitAvailable, onProgress, pushTrash });
      }
    } catch (err) {
      const e = err as ConfvaultError;
      outcome = {
        remote: remote.name,
        url: redactUrl(remote.url),
        ok: false,
        transport: "",
        updated: [],
        error: { code: e.code ?? "REMOTE_FAILED", message: e.message, hint: e.hint ?? "" },
      };
    }
    await recordPush(layout.remoteState, remote.name, {
      time: now().toISOString(),
      ok: outcome.ok,
      ...(outcome.transport ? { transport: outcome.transport } : {}),
      updated: outcome.updated.length,
      ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
    });
    onResult?.(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { newRestorePointName, validateRestorePointName } from "../repo/ref-name.ts";
import { changeAuthor } from "./change-author.ts";
import { changeSigner } from "./change-signer.ts";
import { renderCommitMessage } from "./commit-message.ts";
import { encodeManifest } from "./manifest.ts";
import { MANIFEST_FILE, type PreparedSnapshot } from "./prepare-snapshot.ts";

export interface CommitSnapshotInput {
  prepared: PreparedSnapshot;
  subject: string;
  reason: string;
  actor: string;
  tag?: string;
  trailers?: Record<string, string>;
  /** Runs once every object exists, before the tag and branch move (see RepoEngine.commitFiles). */
  beforeRefs?: (made: { commit: string; tag?: string }) => Promise<void>;
}

async function tagIsFree(ctx: HomeContext, name: string): Promise<boolean> {
  try {
    await ctx.engine.resolveCommit(`refs/tags/${name}`);
    return false;
  } catch (err) {
    if (isConfvaultError(err, "REF_NOT_FOUND")) return true;
    throw err;
  }
}

/** Commits prepared files on main and tags the commit as a restore point. */
export async function commitSnapshot(
  ctx: HomeContext,
  input: CommitSnapshotInput,
): Promise<{ commit: string; tag: string }> {
  const { prepared } = input;
  let tag: string;
  if (input.tag !== undefined) {
    tag = validateRestorePointName(input.tag);
    if (!(await tagIsFree(ctx, tag))) {
      throw new ConfvaultError(
        "TAG_EXISTS",
        `restore point ${tag} already exists`,
        "choose another --tag name; restore points are never moved",
      );
    }
  } else {
    tag = newRestorePointName(ctx.now(), prepared.manifest.sequence);
  }
  const message = renderCommitMessage({
    subject: input.subject,
    reason: input.reason,
    actor: input.actor,
    source: prepared.manifest.source,
    node: ctx.settings.node,
    trailers: { "Confvault-Sequence": String(prepared.manifest.sequence), ...input.trailers },
  });
  const who = changeAuthor(ctx, input.actor);
  // Commit and tag signed in git's SSH format (`git verify-commit` / `git verify-tag`).
  const sign = await changeSigner(ctx);
  // One transaction: objects, then the branch and the annotated tag move together. A generated
  // name can only collide after a rollback of the sequence (a restore of an old point in the same
  // second): the engine refuses it before writing anything, and the next suffix is tried.
  const base = tag;
  let commit = "";
  for (let n = 2; ; n++) {
    try {
      commit = await ctx.engine.commitFiles({
        branch: "main",
        files: { ...prepared.files, [MANIFEST_FILE]: encodeManifest(prepared.manifest) },
        message,
        author: who,
        expectedParent: prepared.parent,
        tag: { name: tag, message, tagger: who },
        sign,
        ...(input.beforeRefs ? { beforeRefs: input.beforeRefs } : {}),
      });
      break;
    } catch (err) {
      if (input.tag !== undefined || !isConfvaultError(err, "TAG_EXISTS") || n > 100) throw err;
      tag = `${base}.${n}`;
    }
  }
  return { commit, tag };
}

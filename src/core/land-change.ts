import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { failpoint } from "../repo/failpoint.ts";
import { type ChangeJournal, clearJournal, type JournalFile, writeJournal } from "./change-journal.ts";
import { type CommitSnapshotInput, commitSnapshot } from "./commit-snapshot.ts";
import { reconcileHome } from "./reconcile-home.ts";
import { type LiveFiles, type StagedLive, stageLive } from "./write-live.ts";

export interface LandChangeInput extends Omit<CommitSnapshotInput, "beforeRefs"> {
  operation: string;
  /** The live files the new tip stands for; omitted: the live files are left alone. */
  live?: LiveFiles;
  /** Files outside the repository replaced with the change (journalled before, so they can be undone). */
  files?: JournalFile[];
  /** Writes those files; runs after the journal, before any ref moves. */
  install?: () => Promise<void>;
}

/**
 * Makes a restore point so that the live files follow the tip of main: the live files are staged
 * (written and fsynced beside their targets) first, and a failure there makes no restore point;
 * the journal is written once every object exists and before the tag and branch move; then the
 * staged files are renamed into place and the journal removed. A rename that fails after the
 * refs moved undoes the restore point (branch back, tag removed, renamed files put back), so the
 * repository is never ahead of the live files; a kill anywhere is finished or undone by the next
 * command that takes the home lock (reconcileHome). The caller holds the home lock.
 */
export async function landChange(
  ctx: HomeContext,
  input: LandChangeInput,
): Promise<{ commit: string; tag: string; liveWritten: boolean }> {
  let staging: StagedLive | undefined;
  try {
    staging = input.live ? await stageLive(ctx, input.live) : undefined;
  } catch (err) {
    throw liveWriteFailed(err, "no restore point was made");
  }
  let journal: ChangeJournal | undefined;
  let made: { commit: string; tag: string };
  try {
    made = await commitSnapshot(ctx, {
      ...input,
      beforeRefs: async ({ commit, tag }) => {
        journal = {
          version: 1,
          operation: input.operation,
          from: input.prepared.parent,
          commit,
          ...(tag ? { tag } : {}),
          writesLive: staging !== undefined,
          ...(input.files ? { files: input.files } : {}),
          pid: process.pid,
          startedAt: ctx.now().toISOString(),
        };
        await writeJournal(ctx, journal);
        failpoint("journal-written");
        await input.install?.();
        failpoint("before-refs");
      },
    });
  } catch (err) {
    await staging?.abort().catch(() => undefined);
    // Failed after the journal: finished or undone by where main stands (as after a kill).
    if (journal) await reconcileHome(ctx).catch(() => undefined);
    throw err;
  }
  failpoint("refs-moved");
  if (!staging) {
    await clearJournal(ctx);
    return { ...made, liveWritten: false };
  }
  try {
    await staging.commit();
    failpoint("live-renamed");
  } catch (err) {
    await staging.undo().catch(() => undefined);
    await ctx.engine.moveBranch({ branch: "main", to: input.prepared.parent, expected: made.commit });
    await ctx.engine.deleteTag(made.tag);
    await clearJournal(ctx);
    throw liveWriteFailed(err, "the restore point was undone and nothing was sent to other nodes");
  }
  await clearJournal(ctx);
  return { ...made, liveWritten: true };
}

function liveWriteFailed(err: unknown, outcome: string): ConfvaultError {
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` ${e.path}` : "";
  return new ConfvaultError(
    "LIVE_WRITE_FAILED",
    `could not write the live files${where} (${e.code ?? e.message}); ${outcome}`,
    "check that the live folder and files are writable by confvault (permissions, `lsattr` for the immutable flag, a read-only mount), then apply again",
    { errno: e.code, path: e.path },
  );
}

import { promises as fsp } from "node:fs";
import path from "node:path";
import { isConfvaultError } from "../errors/confvault-error.ts";
import { removeStaleTemps, writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";
import { type ChangeJournal, clearJournal, readJournal } from "./change-journal.ts";
import { changeSigner } from "./change-signer.ts";
import { openSnapshot } from "./read-snapshot.ts";
import { writeLive } from "./write-live.ts";

export interface Repair {
  /** finished: the interrupted change's restore point stands and the live files now follow it. */
  action: "finished" | "undone" | "left";
  operation: string;
  commit: string;
  tag?: string;
  message: string;
}

async function tagTarget(ctx: HomeContext, tag: string): Promise<string | null> {
  try {
    return await ctx.engine.resolveCommit(`refs/tags/${tag}`);
  } catch (err) {
    if (isConfvaultError(err, "REF_NOT_FOUND")) return null;
    throw err;
  }
}

/** Undoes a change whose branch never moved: its tag (if renamed already) and replaced files. */
export async function undoUnlanded(ctx: HomeContext, j: ChangeJournal): Promise<void> {
  if (j.tag && (await tagTarget(ctx, j.tag)) === j.commit) await ctx.engine.deleteTag(j.tag);
  for (const f of j.files ?? []) {
    if (f.before === null) await fsp.rm(f.path, { force: true });
    else await writeFileAtomic(f.path, Uint8Array.from(Buffer.from(f.before, "base64")), { mode: f.mode });
  }
  if (j.files?.length) await fsp.rm(ctx.layout.identityCache, { force: true });
  await clearJournal(ctx);
}

/**
 * Runs under the home lock before any command's own work: when the journal shows a change of ours
 * was interrupted, finishes it (the tip landed: tag it if the kill came between the two refs,
 * write the live files from it) or undoes it (the branch never moved: drop its tag, put back
 * replaced files). Returns what it did; nothing without a journal.
 */
export async function reconcileHome(ctx: HomeContext): Promise<Repair | null> {
  const j = await readJournal(ctx);
  if (!j) return null;
  const tip = await ctx.engine.branchTip("main");
  const label = j.tag ?? j.commit.slice(0, 12);
  let repair: Repair;
  if (tip === j.commit) {
    if (j.tag && (await tagTarget(ctx, j.tag)) === null) {
      const commit = await ctx.engine.readCommit(j.commit);
      await ctx.engine.createTag({
        name: j.tag,
        commit: j.commit,
        message: commit.message,
        tagger: commit.committer,
        sign: await changeSigner(ctx),
      });
    }
    if (j.writesLive) {
      const snap = await openSnapshot(ctx, j.commit);
      await writeLive(ctx, { config: snap.config, cert: snap.bundle.cert, key: snap.bundle.key });
    }
    await fsp.rm(ctx.layout.identityCache, { force: true }).catch(() => undefined);
    await clearJournal(ctx);
    repair = {
      action: "finished",
      operation: j.operation,
      commit: j.commit,
      ...(j.tag ? { tag: j.tag } : {}),
      message: `finished an interrupted ${j.operation}: ${label} stands${j.writesLive ? " and the live files now follow it" : ""}`,
    };
  } else if (tip === j.from) {
    await undoUnlanded(ctx, j);
    const dirs = new Set(
      [ctx.live("config"), ctx.live("cert"), ctx.live("key")].flatMap((p) => (p ? [path.dirname(p)] : [])),
    );
    await Promise.all([...dirs].map((d) => removeStaleTemps(d)));
    repair = {
      action: "undone",
      operation: j.operation,
      commit: j.commit,
      ...(j.tag ? { tag: j.tag } : {}),
      message: `an interrupted ${j.operation} made no restore point (main never moved); undone, the live files are as before`,
    };
  } else {
    await clearJournal(ctx);
    repair = {
      action: "left",
      operation: j.operation,
      commit: j.commit,
      message: `a journal of an interrupted ${j.operation} (${label}) does not match main; left main and the live files alone`,
    };
  }
  ctx.logger.warn({ repair }, repair.message);
  return repair;
}

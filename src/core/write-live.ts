import { promises as fsp } from "node:fs";
import path from "node:path";
import { removeStaleTemps, type StagedFile, stageFileAtomic, writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";
import { failpoint } from "../repo/failpoint.ts";

export interface LiveFiles {
  config: Uint8Array;
  cert?: string;
  key?: string;
}

/**
 * Stages the live files (temp file beside each, written and fsynced) so the slow part can run
 * while the commit is made; `commit()` then renames them into place: key, certificate, config.
 */
export interface StagedLive {
  /** Renames every staged file into place (key, certificate, config). */
  commit(): Promise<string[]>;
  abort(): Promise<void>;
  /** Puts back the bytes the renamed targets had before (after a failed `commit()`). */
  undo(): Promise<void>;
}

export async function stageLive(ctx: HomeContext, files: LiveFiles): Promise<StagedLive> {
  const enc = new TextEncoder();
  // Callers hold the home lock, so any temp file of ours beside a live file is from a killed writer.
  const dirs = new Set(
    [ctx.live("config"), ctx.live("cert"), ctx.live("key")].flatMap((p) => (p ? [path.dirname(p)] : [])),
  );
  await Promise.all([...dirs].map((d) => removeStaleTemps(d)));
  const jobs: Array<Promise<StagedFile>> = [];
  const keyPath = ctx.live("key");
  const certPath = ctx.live("cert");
  if (files.key !== undefined && keyPath)
    jobs.push(stageFileAtomic(keyPath, enc.encode(files.key), { mode: 0o600 }));
  if (files.cert !== undefined && certPath)
    jobs.push(stageFileAtomic(certPath, enc.encode(files.cert), { mode: 0o644 }));
  jobs.push(stageFileAtomic(ctx.live("config")!, files.config, { mode: 0o644 }));
  const settled = await Promise.allSettled(jobs);
  const staged = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = settled.find((r) => r.status === "rejected");
  const abort = async () => {
    await Promise.all(staged.map((s) => s.abort()));
  };
  if (failed) {
    await abort();
    throw (failed as PromiseRejectedResult).reason;
  }
  // What each target held before, so a rename that fails half-way can be undone.
  const before = new Map<string, Uint8Array | null>();
  for (const s of staged)
    before.set(
      s.target,
      await fsp.readFile(s.target).then(
        (b) => new Uint8Array(b),
        () => null,
      ),
    );
  const renamed: string[] = [];
  return {
    async commit() {
      for (const s of staged) {
        await s.commit();
        renamed.push(s.target);
        failpoint("live-file-renamed");
      }
      return staged.map((s) => s.target);
    },
    abort,
    async undo() {
      await abort();
      for (const target of renamed.splice(0).reverse()) {
        const bytes = before.get(target);
        if (bytes) await writeFileAtomic(target, bytes);
        else await fsp.rm(target, { force: true });
      }
    },
  };
}

/** Puts config.xml (and the certificate and key, when given) onto the live paths, each atomically. */
export async function writeLive(ctx: HomeContext, files: LiveFiles): Promise<string[]> {
  return await (await stageLive(ctx, files)).commit();
}

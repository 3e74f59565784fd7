import path from "node:path";
import { removeStaleTemps, type StagedFile, stageFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";

export interface LiveFiles {
  config: Uint8Array;
  cert?: string;
  key?: string;
}

/**
 * Stages the live files (temp file beside each, written and fsynced) so the slow part can run
 * while the commit is made; `commit()` then renames them into place: key, certificate, config.
 */
export async function stageLive(
  ctx: HomeContext,
  files: LiveFiles,
): Promise<{ commit(): Promise<string[]>; abort(): Promise<void> }> {
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
  return {
    async commit() {
      for (const s of staged) await s.commit();
      return staged.map((s) => s.target);
    },
    abort,
  };
}

/** Puts config.xml (and the certificate and key, when given) onto the live paths, each atomically. */
export async function writeLive(ctx: HomeContext, files: LiveFiles): Promise<string[]> {
  return await (await stageLive(ctx, files)).commit();
}

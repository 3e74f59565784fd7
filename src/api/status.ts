import { promises as fsp } from "node:fs";
import path from "node:path";
import { sha256Hex } from "../core/manifest.ts";
import { readSnapshot } from "../core/read-snapshot.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { readSyncStatus } from "../sync/sync-status.ts";

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderSize(full);
    else if (entry.isFile()) total += (await fsp.stat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** Node health: role, current restore point, drift of the live files, certificate expiry, repository size. */
export async function status({ ctx }: { ctx: HomeContext }): Promise<Record<string, unknown>> {
  try {
    const { settings } = ctx;
    const tip = await ctx.engine.branchTip("main");
    const tags = await ctx.engine.listTags("rp/");
    const out: Record<string, unknown> = {
      home: ctx.layout.dir,
      node: settings.node,
      cluster: settings.cluster,
      role: settings.role,
      profile: settings.profile,
      liveConfig: ctx.live("config"),
      head: tip,
      restorePoints: tags.length,
      latest: tags[0]
        ? {
            tag: tags[0].name,
            commit: tags[0].commit,
            time: new Date(tags[0].tagger.timestamp * 1000).toISOString(),
          }
        : null,
      repositoryBytes: await folderSize(ctx.layout.gitdir),
    };
    if (tip) {
      const snap = await readSnapshot(ctx, tip);
      out.sequence = snap.manifest.sequence;
      const live = await fsp.readFile(ctx.live("config")!).catch(() => undefined);
      out.drift =
        live === undefined
          ? "live config missing"
          : (await sha256Hex(new Uint8Array(live))) === snap.manifest.config.sha256
            ? "none"
            : "live config changed outside confvault";
      const cert = snap.manifest.certificate;
      if (cert) {
        const days = (Date.parse(cert.notAfter) - ctx.now().getTime()) / 86_400_000;
        out.certificate = {
          subject: cert.subject,
          notAfter: cert.notAfter,
          expiresInDays: Math.floor(days),
          warning: days < 30,
        };
      } else out.certificate = null;
    }
    if (settings.role !== "standalone") out.sync = await readSyncStatus(ctx);
    return out;
  } catch (err) {
    throw inOperation("status", err);
  }
}

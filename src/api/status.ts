import * as fs from "node:fs";
import { sha256Hex } from "../core/manifest.ts";
import { readSnapshot } from "../core/read-snapshot.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { measureRepoSize } from "../repo/repo-size.ts";
import { readSyncStatus } from "../sync/sync-status.ts";

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
      // Fan-out folders listed and loose objects sampled: no stat per object (repo-size.ts).
      repositoryBytes: (await measureRepoSize(fs, ctx.layout.gitdir)).bytes,
    };
    if (tip) {
      const snap = await readSnapshot(ctx, tip);
      out.sequence = snap.manifest.sequence;
      const live = await fs.promises.readFile(ctx.live("config")!).catch(() => undefined);
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

import { parseTrailers } from "../core/commit-message.ts";
import { decodeManifest } from "../core/manifest.ts";
import { MANIFEST_FILE, SEALED_FILE } from "../core/prepare-snapshot.ts";
import type { HomeContext } from "../home/context.ts";
import type { CommitInfo } from "../repo/engine.ts";
import { readSyncStatus } from "../sync/sync-status.ts";
import { type DrillsState, readDrills } from "./drill-store.ts";
import { type RemoteHealth, remoteHealth } from "./push-history.ts";
import { readSchedulesState, type SchedulesState } from "./scheduler.ts";
import { opsPaths } from "./state-file.ts";

export interface CertificateFacts {
  subject: string;
  notAfter: string;
  fingerprint256?: string;
  expiresInDays: number;
}

export interface OpsFacts {
  now: string;
  latestRestorePoint: { tag: string; commit: string; time: string; subject: string } | null;
  restorePoints: number;
  /** Restore points by their Confvault-Source trailer (apply, capture, restore, sync, merge, …). */
  restorePointsBySource: Record<string, number>;
  remotes: RemoteHealth[];
  drills: DrillsState;
  schedules: SchedulesState;
  certificate: CertificateFacts | null;
  /** Bytes of the sealed bundle at the tip of main. */
  bundleBytes: number | null;
  /** Cluster sync facts, or null on a standalone node. */
  sync: Awaited<ReturnType<typeof readSyncStatus>>;
}

/** What backup operations know about a home, read from its repository and state files. */
export async function gatherOpsFacts(ctx: HomeContext): Promise<OpsFacts> {
  const now = ctx.now();
  const tags = await ctx.engine.listTags("rp/");
  const latest = tags[0];
  const tip = await ctx.engine.branchTip("main");
  let certificate: CertificateFacts | null = null;
  let bundleBytes: number | null = null;
  if (tip) {
    try {
      const manifest = decodeManifest(await ctx.engine.readFile(tip, MANIFEST_FILE), "main");
      const cert = manifest.certificate;
      if (cert) {
        certificate = {
          subject: cert.subject,
          notAfter: cert.notAfter,
          ...(cert.fingerprint256 ? { fingerprint256: cert.fingerprint256 } : {}),
          expiresInDays: Math.floor((Date.parse(cert.notAfter) - now.getTime()) / 86_400_000),
        };
      }
      bundleBytes = (await ctx.engine.readFile(tip, SEALED_FILE)).length;
    } catch {
      // An unreadable tip shows up in verify; facts stay partial here.
    }
  }
  const [remotes, drills, schedules, sync] = await Promise.all([
    remoteHealth(ctx),
    readDrills(ctx.layout.state),
    readSchedulesState(opsPaths(ctx.layout.state).schedules),
    readSyncStatus(ctx).catch(() => null),
  ]);
  return {
    now: now.toISOString(),
    latestRestorePoint: latest
      ? {
          tag: latest.name,
          commit: latest.commit,
          time: new Date(latest.tagger.timestamp * 1000).toISOString(),
          subject: parseTrailers(latest.message).subject,
        }
      : null,
    restorePoints: tags.length,
    restorePointsBySource: countBySource(tags.map((t) => t.message)),
    remotes,
    drills,
    schedules,
    certificate,
    bundleBytes,
    sync,
  };
}

function countBySource(messages: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of messages) {
    const source = parseTrailers(m).trailers["Confvault-Source"] ?? "unknown";
    out[source] = (out[source] ?? 0) + 1;
  }
  return out;
}

/** Changes on main by their Confvault-Source trailer, every commit since the first. */
export interface ChangeCounts {
  /** Every source except "restore" and "rollback" (apply, capture, merge, sync, rotate, …). */
  applies: Record<string, number>;
  /** Restores and rollbacks, automatic ones included (source "restore" or "rollback"). */
  restores: number;
}

/**
 * Counts the changes in main's first-parent history, CLI and API alike. main is never
 * rewritten, so the counts only grow (unlike restore points, which prune removes): they suit
 * Prometheus counters. Each call reads only the commits made since the previous one; a shallow
 * repository (recovered with --shallow) counts the commits it has.
 */
export function createChangeCounter(): (ctx: HomeContext) => Promise<ChangeCounts> {
  let seen: { tip: string; bySource: Record<string, number> } | null = null;
  return async (ctx) => {
    const tip = await ctx.engine.branchTip("main");
    if (!tip) return { applies: {}, restores: 0 };
    if (seen?.tip !== tip) {
      const fresh: Record<string, number> = {};
      let oid: string | undefined = tip;
      let reachedSeen = false;
      while (oid) {
        if (oid === seen?.tip) {
          reachedSeen = true;
          break;
        }
        const commit: CommitInfo | null = await ctx.engine.readCommit(oid).catch(() => null);
        if (!commit) break;
        const source = parseTrailers(commit.message).trailers["Confvault-Source"] ?? "unknown";
        fresh[source] = (fresh[source] ?? 0) + 1;
        oid = commit.parents[0];
      }
      const bySource = reachedSeen && seen ? { ...seen.bySource } : {};
      for (const [k, n] of Object.entries(fresh)) bySource[k] = (bySource[k] ?? 0) + n;
      seen = { tip, bySource };
    }
    const { restore = 0, rollback = 0, ...applies } = seen.bySource;
    return { applies, restores: restore + rollback };
  };
}

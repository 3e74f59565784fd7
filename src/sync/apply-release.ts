import { promises as fsp } from "node:fs";
import { applyConfig } from "../core/apply-config.ts";
import { lockHome } from "../core/lock-home.ts";
import { sha256Hex } from "../core/manifest.ts";
import { openSnapshot, readSnapshot } from "../core/read-snapshot.ts";
import { spliceLocalSections } from "../core/splice-local-sections.ts";
import { writeLive } from "../core/write-live.ts";
import type { HomeContext } from "../home/context.ts";
import { scanXml } from "../xml/scan-xml.ts";
import type { OpenedRelease } from "./open-release.ts";

export interface ReleaseApplied {
  /** The slave's own commit and tag for this release. */
  commit: string;
  tag: string;
  changed: boolean;
  warnings: string[];
}

async function readOrUndefined(file: string | undefined): Promise<Uint8Array | undefined> {
  if (!file) return undefined;
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch {
    return undefined;
  }
}

/**
 * This node's own bytes for its node-local sections: the live config as the appliance has it,
 * else its current restore point, else nothing (then the master's local sections are dropped,
 * never inherited).
 */
async function localSource(ctx: HomeContext, master: Uint8Array): Promise<Uint8Array> {
  const live = await readOrUndefined(ctx.live("config"));
  if (live) {
    try {
      scanXml(live, { patterns: [] });
      return live;
    } catch {
      ctx.logger.warn(
        { file: ctx.live("config") },
        "the live config is not well-formed: taking node-local sections from the last restore point",
      );
    }
  }
  const tip = await ctx.engine.branchTip("main");
  if (tip) return (await openSnapshot(ctx, tip)).config;
  // Nothing of our own yet: an empty root, so every node-local section of the master is dropped.
  return new TextEncoder().encode(`<${scanXml(master, { patterns: [] }).rootName}/>`);
}

/** True when the live config is what the current restore point says (no drift). */
export async function liveMatchesTip(ctx: HomeContext): Promise<boolean> {
  const tip = await ctx.engine.branchTip("main");
  if (!tip) return true;
  const live = await readOrUndefined(ctx.live("config"));
  if (!live) return false;
  return (await sha256Hex(live)) === (await readSnapshot(ctx, tip)).manifest.config.sha256;
}

/**
 * Applies a verified master release on this slave through the one apply path: the master's
 * config with this node's node-local sections spliced in, committed in the slave's own
 * repository as source "sync" with the master commit as Confvault-Source-Commit.
 */
export async function applyRelease(
  ctx: HomeContext,
  release: OpenedRelease,
  masterNode: string,
): Promise<ReleaseApplied> {
  const local = await localSource(ctx, release.config);
  const config = spliceLocalSections(release.config, local, ctx.profile.localSections);
  const result = await applyConfig({
    ctx,
    config,
    cert: release.cert,
    key: release.key,
    reason: release.reason || `sync of master ${release.tag || release.commit.slice(0, 12)}`,
    actor: `master:${masterNode}`,
    source: "sync",
    sourceCommit: release.commit,
    trailers: { "Confvault-Source-Sequence": String(release.sequence), "Confvault-Source-Tag": release.tag },
  });
  if (!result.changed && !(await liveMatchesTip(ctx))) {
    // Same config as the current restore point but not live: a slave killed between its commit
    // and its live write. Put the restore point's files in place.
    const lock = await lockHome(ctx, "sync");
    try {
      const tip = await ctx.engine.branchTip("main");
      if (tip) {
        const snap = await openSnapshot(ctx, tip);
        await writeLive(ctx, { config: snap.config, cert: snap.bundle.cert, key: snap.bundle.key });
        result.warnings.push("the live config did not match the current restore point: rewrote it");
      }
    } finally {
      await lock.release();
    }
  }
  return { commit: result.commit, tag: result.tag, changed: result.changed, warnings: result.warnings };
}

import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { describeHookFailure, runChangeHook } from "./change-hooks.ts";
import type { RestoreResult } from "./change-results.ts";
import { landChange } from "./land-change.ts";
import { prepareSnapshot } from "./prepare-snapshot.ts";
import { openSnapshot } from "./read-snapshot.ts";
import { spliceLocalSections } from "./splice-local-sections.ts";

export interface RestoreToOptions {
  ref: string;
  reason: string;
  actor: string;
  dryRun?: boolean;
  keepLocal?: boolean;
  noLive?: boolean;
  force?: boolean;
  /** An automatic rollback: no health check afterwards (nothing further to fall back to). */
  automatic?: boolean;
}

/**
 * Puts a restore point back: a new commit on top of main with that point's files, a new tag,
 * the live files written, post-restore and health hooks. The caller holds the home lock.
 */
export async function restoreTo(ctx: HomeContext, options: RestoreToOptions): Promise<RestoreResult> {
  const snap = await openSnapshot(ctx, options.ref, { force: options.force });
  let config = snap.config;
  if (options.keepLocal) {
    const livePath = ctx.live("config")!;
    const live = await fsp.readFile(livePath).catch(() => undefined);
    if (live) config = spliceLocalSections(config, new Uint8Array(live), ctx.profile.localSections);
  }
  const prepared = await prepareSnapshot(ctx, {
    config,
    cert: snap.bundle.cert,
    key: snap.bundle.key,
    source: "restore",
    restoredFrom: snap.commit,
    reuseSealed: { digest: snap.manifest.secrets.digest, bytes: snap.sealed },
  });
  if (options.dryRun) {
    return {
      commit: snap.commit,
      tag: "",
      restoredFrom: snap.commit,
      dryRun: true,
      liveWritten: false,
      warnings: prepared.warnings,
    };
  }
  const previous = prepared.parent;
  const label = options.ref.startsWith("rp/") ? options.ref : snap.commit.slice(0, 12);
  const landed = await landChange(ctx, {
    operation: options.automatic ? "automatic rollback" : "restore",
    prepared,
    subject: `${options.automatic ? "automatic rollback" : "restore"} of ${label}`,
    reason: options.reason,
    actor: options.actor,
    trailers: { "Confvault-Restored-From": snap.commit },
    ...(options.noLive ? {} : { live: { config, cert: snap.bundle.cert, key: snap.bundle.key } }),
  });
  const { commit, tag } = landed;
  const result: RestoreResult = {
    commit,
    tag,
    restoredFrom: snap.commit,
    dryRun: false,
    liveWritten: landed.liveWritten,
    warnings: prepared.warnings,
  };
  if (options.noLive) return result;
  const facts = {
    source: "restore",
    reason: options.reason,
    actor: options.actor,
    commit,
    tag,
    previousCommit: previous,
  };
  const post = await runChangeHook(ctx, "post-restore", facts);
  if (!post.ok) result.warnings.push(describeHookFailure(post));
  if (options.automatic) return result;
  const health = await runChangeHook(ctx, "health", facts);
  if (!health.ok && previous) {
    const back = await restoreTo(ctx, {
      ref: previous,
      reason: `health check failed after ${tag}: ${describeHookFailure(health)}`,
      actor: "confvault",
      automatic: true,
    });
    throw new ConfvaultError(
      "HEALTH_FAILED",
      `${describeHookFailure(health)}; rolled back automatically to the state before (${back.tag})`,
      "look at the hook output in the log, fix the cause, then restore again",
      { commit, tag, rolledBackTo: back.tag, rollbackCommit: back.commit },
    );
  }
  return result;
}

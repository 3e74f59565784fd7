import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { describeHookFailure, runChangeHook } from "./change-hooks.ts";
import type { ApplyResult } from "./change-results.ts";
import { currentCertKey, tagOf } from "./current-cert-key.ts";
import { landChange } from "./land-change.ts";
import { lockHome } from "./lock-home.ts";
import type { Source } from "./manifest.ts";
import { prepareSnapshot } from "./prepare-snapshot.ts";
import { requireReason } from "./require-reason.ts";
import { restoreTo } from "./restore-to.ts";

export interface ApplyOptions {
  ctx: HomeContext;
  config: Uint8Array;
  cert?: string;
  key?: string;
  reason: string;
  actor: string;
  tag?: string;
  dryRun?: boolean;
  /** Commit and tag only; leave the live files alone. */
  noLive?: boolean;
  /** The caller already holds the home lock (capture). */
  locked?: boolean;
  source?: Source;
  sourceCommit?: string;
  trailers?: Record<string, string>;
}

/**
 * Applies a config: validate, lift and seal secrets, commit and tag a restore point, write the
 * live files atomically, then post-apply and health hooks. A failing health hook rolls back to the
 * previous restore point automatically. Nothing is written when validation or pre-apply fails.
 */
export async function applyConfig({
  ctx,
  config,
  cert,
  key,
  reason,
  actor,
  tag,
  dryRun = false,
  noLive = false,
  locked = false,
  source = "apply",
  sourceCommit,
  trailers,
}: ApplyOptions): Promise<ApplyResult> {
  const why = requireReason(reason, "apply");
  if (ctx.settings.role === "slave" && (source === "apply" || source === "merge")) {
    throw new ConfvaultError(
      "NOT_MASTER",
      `node ${ctx.settings.node} is a slave: it takes its config from its master`,
      `apply on the master (${ctx.settings.master ?? "see settings.master"}); local restores stay allowed here`,
    );
  }
  const lock = dryRun || locked ? undefined : await lockHome(ctx, source === "sync" ? "sync" : "apply");
  try {
    const parent = await ctx.engine.branchTip("main");
    const pair = cert !== undefined || key !== undefined ? { cert, key } : await currentCertKey(ctx, parent);
    const prepared = await prepareSnapshot(ctx, {
      config,
      cert: pair.cert,
      key: pair.key,
      source,
      sourceCommit,
    });
    if (prepared.unchanged && prepared.parent && tag === undefined) {
      return {
        commit: prepared.parent,
        tag: (await tagOf(ctx, prepared.parent)) ?? "",
        changed: false,
        dryRun,
        liveWritten: false,
        warnings: [
          ...prepared.warnings,
          "the config is identical to the current restore point: nothing to commit",
        ],
      };
    }
    if (dryRun) {
      return {
        commit: "",
        tag: "",
        changed: true,
        dryRun: true,
        liveWritten: false,
        warnings: prepared.warnings,
      };
    }
    const facts = { source, reason: why, actor, previousCommit: prepared.parent };
    const pre = await runChangeHook(ctx, "pre-apply", facts);
    if (!pre.ok) {
      throw new ConfvaultError(
        "HOOK_FAILED",
        `${describeHookFailure(pre)}; nothing was applied`,
        "the pre-apply hook refused this change; read its output in the log",
      );
    }
    // The live files are staged before the refs move; see landChange for the crash rules.
    const writeLiveFiles = !noLive && source !== "capture";
    const landed = await landChange(ctx, {
      operation: source,
      prepared,
      subject: `${source}: ${why.split("\n")[0]}`,
      reason: why,
      actor,
      tag,
      trailers: sourceCommit ? { "Confvault-Source-Commit": sourceCommit, ...trailers } : trailers,
      ...(writeLiveFiles ? { live: { config: prepared.applied, cert: pair.cert, key: pair.key } } : {}),
    });
    const { commit, tag: made } = landed;
    const result: ApplyResult = {
      commit,
      tag: made,
      changed: true,
      dryRun: false,
      liveWritten: landed.liveWritten,
      warnings: prepared.warnings,
    };
    if (!writeLiveFiles) return result;
    const done = { ...facts, commit, tag: made };
    const post = await runChangeHook(ctx, "post-apply", done);
    if (!post.ok) result.warnings.push(describeHookFailure(post));
    const health = await runChangeHook(ctx, "health", done);
    if (!health.ok) {
      if (!prepared.parent) {
        throw new ConfvaultError(
          "HEALTH_FAILED",
          `${describeHookFailure(health)}; there is no earlier restore point to roll back to`,
          "fix the appliance by hand, then apply again",
          { commit, tag: made },
        );
      }
      const back = await restoreTo(ctx, {
        ref: prepared.parent,
        reason: `health check failed after ${made}: ${describeHookFailure(health)}`,
        actor: "confvault",
        automatic: true,
      });
      throw new ConfvaultError(
        "HEALTH_FAILED",
        `${describeHookFailure(health)}; rolled back automatically to the previous restore point (now ${back.tag})`,
        "look at the health hook output in the log, fix the config, then apply again",
        { commit, tag: made, rolledBackTo: back.tag, rollbackCommit: back.commit },
      );
    }
    return result;
  } catch (err) {
    throw inOperation("apply", err);
  } finally {
    await lock?.release();
  }
}

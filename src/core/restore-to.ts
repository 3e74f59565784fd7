import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { describeHookFailure, runChangeHook } from "./change-hooks.ts";
import type { RestoreResult } from "./change-results.ts";
import { tagOf } from "./current-cert-key.ts";
import { landChange } from "./land-change.ts";
import { prepareSnapshot } from "./prepare-snapshot.ts";
import { type ChangePreview, type PreviewOptions, previewChange } from "./preview-change.ts";
import { type OpenedSnapshot, openSnapshot } from "./read-snapshot.ts";
import { spliceLocalSections } from "./splice-local-sections.ts";
import { type MissingSections, type SectionOutcome, spliceSections } from "./splice-sections.ts";

export interface RestoreToOptions {
  ref: string;
  reason: string;
  actor: string;
  dryRun?: boolean;
  keepLocal?: boolean;
  noLive?: boolean;
  /** Skip the manifest hash checks of the restore point (`restore --force`). */
  force?: boolean;
  /** Make a restore point even when the point is already current and live (`--record`). */
  record?: boolean;
  /** Recorded as a rollback (source and subject "rollback"), not as a restore. */
  rollback?: boolean;
  /** An automatic rollback: no health check afterwards (nothing further to fall back to). */
  automatic?: boolean;
  /**
   * Partial restore: only these sections come from REF (paths as node-local sections write them,
   * with `[@attr=value]` predicates); every other byte of the current config is kept.
   */
  sections?: string[];
  /** What to do with a chosen section that exists on one side only (default refuse). */
  missing?: MissingSections;
  /** Partial restore of the certificate and key from REF (alone, or with `sections`). */
  certificate?: boolean;
}

/** A restore's result: what `restoreTo` reports beyond the shared RestoreResult. */
export interface RestoreOutcome extends RestoreResult {
  /** False when nothing was done: the point is already current and live (no --record). */
  changed: boolean;
  /** The restore point tag of the commit restored from, or null when it has none. */
  restoredFromTag: string | null;
  /** What the restore changes (dry runs): current restore point and live config → the restored one. */
  diff?: ChangePreview;
  /** Partial restores: what happened to each chosen section. */
  sections?: SectionOutcome[];
}

/**
 * Puts a restore point back: a new commit on top of main with that point's files, a new tag,
 * the live files written, post-restore and health hooks. The caller holds the home lock.
 * A point that is already current (same config, secrets and certificate as the tip of main) and
 * live (the live config.xml holds the same bytes) makes no commit unless `record` is set.
 */
export async function restoreTo(ctx: HomeContext, options: RestoreToOptions): Promise<RestoreOutcome> {
  const snap = await openSnapshot(ctx, options.ref, { force: options.force });
  let config = snap.config;
  // Partial restores splice the chosen parts of REF into the current restore point.
  const partial = (options.sections?.length ?? 0) > 0 || options.certificate === true;
  let pair: { cert?: string; key?: string } = snap.bundle;
  const partialTrailers: Record<string, string> = {};
  let sectionsDone: SectionOutcome[] = [];
  if (partial) {
    const tip = await ctx.engine.branchTip("main");
    if (!tip) {
      throw new ConfvaultError(
        "NOTHING_TO_DO",
        "a partial restore needs a current restore point to keep the rest from",
        "restore the whole point instead (drop --section/--cert)",
      );
    }
    const base = await openSnapshot(ctx, tip);
    config = base.config;
    if (options.sections?.length) {
      const spliced = spliceSections(base.config, snap.config, options.sections, options.missing);
      config = spliced.config;
      sectionsDone = spliced.outcomes;
      partialTrailers["Confvault-Restored-Sections"] = spliced.outcomes
        .map((o) => `${o.section} ${o.action}${o.count > 1 ? ` x${o.count}` : ""}`)
        .join("; ");
    }
    if (!options.certificate) pair = base.bundle;
    else
      partialTrailers["Confvault-Restored-Certificate"] = snap.manifest.certificate?.fingerprint256 ?? "none";
  }
  if (options.keepLocal) {
    const livePath = ctx.live("config")!;
    const live = await fsp.readFile(livePath).catch(() => undefined);
    if (live) config = spliceLocalSections(config, new Uint8Array(live), ctx.profile.localSections);
  }
  const kind = options.automatic ? "automatic rollback" : options.rollback ? "rollback" : "restore";
  const prepared = await prepareSnapshot(ctx, {
    config,
    cert: pair.cert,
    key: pair.key,
    source: kind === "rollback" ? "rollback" : "restore",
    restoredFrom: snap.commit,
    ...(partial ? {} : { reuseSealed: { digest: snap.manifest.secrets.digest, bytes: snap.sealed } }),
  });
  const restoredFromTag = (await tagOf(ctx, snap.commit)) ?? null;
  const current = prepared.unchanged && (options.noLive || (await liveMatches(ctx, config, pair)));
  // An automatic rollback always lands: it undoes a change whose health check failed.
  if (current && !options.record && !options.automatic) {
    const name = restoredFromTag ?? snap.commit.slice(0, 12);
    const commit = prepared.parent!;
    return {
      commit,
      tag: (await tagOf(ctx, commit)) ?? "",
      restoredFrom: snap.commit,
      restoredFromTag,
      ...(sectionsDone.length ? { sections: sectionsDone } : {}),
      changed: false,
      dryRun: Boolean(options.dryRun),
      liveWritten: false,
      warnings: [
        ...prepared.warnings,
        `${name} is already the current restore point${options.noLive ? "" : " and live"}: nothing to ${kind === "rollback" ? "roll back" : "restore"} (--record makes a restore point anyway)`,
      ],
      ...(options.dryRun ? { diff: await previewChange(ctx, previewOf(snap, config, name)) } : {}),
    };
  }
  if (options.dryRun) {
    const name = restoredFromTag ?? snap.commit.slice(0, 12);
    return {
      commit: snap.commit,
      tag: "",
      restoredFrom: snap.commit,
      restoredFromTag,
      ...(sectionsDone.length ? { sections: sectionsDone } : {}),
      changed: true,
      dryRun: true,
      liveWritten: false,
      warnings: prepared.warnings,
      diff: await previewChange(ctx, previewOf(snap, config, name)),
    };
  }
  const previous = prepared.parent;
  const label = restoredFromTag ?? (options.ref.startsWith("rp/") ? options.ref : snap.commit.slice(0, 12));
  const landed = await landChange(ctx, {
    operation: kind,
    prepared,
    subject:
      kind !== "restore"
        ? `${kind} to ${label}`
        : partial
          ? `partial restore of ${label}: ${[...(options.sections ?? []), ...(options.certificate ? ["certificate"] : [])].join(", ")}`
          : `restore of ${label}`,
    reason: options.reason,
    actor: options.actor,
    trailers: { "Confvault-Restored-From": snap.commit, ...partialTrailers },
    ...(options.noLive ? {} : { live: { config, cert: pair.cert, key: pair.key } }),
  });
  const { commit, tag } = landed;
  const result: RestoreOutcome = {
    commit,
    tag,
    restoredFrom: snap.commit,
    restoredFromTag,
    ...(sectionsDone.length ? { sections: sectionsDone } : {}),
    changed: true,
    dryRun: false,
    liveWritten: landed.liveWritten,
    warnings: prepared.warnings,
  };
  if (options.noLive) return result;
  const facts = {
    source: kind === "rollback" ? "rollback" : "restore",
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

function previewOf(snap: OpenedSnapshot, config: Uint8Array, name: string): PreviewOptions {
  return { config, certificate: snap.manifest.certificate ?? null, label: name };
}

/** The live files hold what the restore would write (config bytes; certificate and key when kept). */
async function liveMatches(
  ctx: HomeContext,
  config: Uint8Array,
  bundle: { cert?: string; key?: string },
): Promise<boolean> {
  const read = async (file: string | undefined) =>
    file
      ? await fsp.readFile(file).then(
          (b) => new Uint8Array(b),
          () => null,
        )
      : null;
  const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));
  const enc = new TextEncoder();
  if (!same(await read(ctx.live("config")), config)) return false;
  for (const [kind, text] of [
    ["cert", bundle.cert],
    ["key", bundle.key],
  ] as const) {
    const path = ctx.live(kind);
    if (text !== undefined && path && !same(await read(path), enc.encode(text))) return false;
  }
  return true;
}

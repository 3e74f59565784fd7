import { promises as fsp } from "node:fs";
import { tagOf } from "../core/current-cert-key.ts";
import { readSnapshot } from "../core/read-snapshot.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { liftSecrets, SECRET_MARKER_PATTERN } from "../seal/lift-secrets.ts";
import { renderDiff } from "../xml/render-diff.ts";
import { scanXml } from "../xml/scan-xml.ts";
import { semanticDiffReport } from "../xml/semantic-diff.ts";
import type { DiffResult } from "./types.ts";

export interface LiveDiffResult extends DiffResult {
  /** The restore point compared with (its tag, or null when it has none). */
  fromTag: string | null;
  /** True when the live config differs from REF in policy (drift, or an undone change of someone's). */
  drift: boolean;
}

/**
 * Drift: the policy diff from a restore point (default: the tip of main) to the live config.xml,
 * both with secrets as markers (the live secrets are lifted with this home's marker key, so an
 * unchanged secret compares equal and a changed one shows as "secret changed", never its value).
 */
export async function diffLive({
  ctx,
  from = "main",
}: {
  ctx: HomeContext;
  from?: string;
}): Promise<LiveDiffResult> {
  try {
    const snap = await readSnapshot(ctx, from);
    const livePath = ctx.live("config")!;
    const live = await fsp.readFile(livePath).then(
      (b) => new Uint8Array(b),
      () => {
        throw new ConfvaultError(
          "NOT_FOUND",
          "there is no live config.xml",
          "check the home's profile and live root",
        );
      },
    );
    const keys = await ctx.keys();
    const scan = scanXml(live, { patterns: ctx.profile.secretPaths });
    const spans = scan.matches.filter((m) => !m.hasChildren && m.contentEnd > m.contentStart);
    const lifted = liftSecrets(live, spans, keys.markerKey).bytes;
    const report = semanticDiffReport(snap.committedConfig, lifted, {
      idAttributes: ctx.profile.idAttributes,
      volatilePaths: ctx.profile.volatilePaths,
      localSections: ctx.profile.localSections,
      secretMarker: SECRET_MARKER_PATTERN,
    });
    const fromTag = (await tagOf(ctx, snap.commit)) ?? null;
    const body = renderDiff(report.entries, report);
    const name = fromTag ?? snap.commit.slice(0, 12);
    return {
      from: snap.commit,
      fromTag,
      to: "live",
      entries: [...report.entries],
      drift: report.entries.length > 0,
      text:
        report.entries.length === 0
          ? `the live config.xml holds the policy of ${name}: no drift\n${body}`
          : `drift: ${name} → live config.xml\n${body}`,
    };
  } catch (err) {
    throw inOperation("diff", err);
  }
}

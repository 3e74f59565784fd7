import { readSnapshot } from "../core/read-snapshot.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { SECRET_MARKER_PATTERN } from "../seal/lift-secrets.ts";
import { configText } from "../xml/decode-xml-bytes.ts";
import { renderDiff } from "../xml/render-diff.ts";
import { type DiffStats, semanticDiffReport } from "../xml/semantic-diff.ts";
import { unifiedDiff } from "../xml/unified-diff.ts";
import type { DiffResult } from "./types.ts";

export interface DiffOptions {
  ctx: HomeContext;
  from: string;
  /** Default: the tip of main. */
  to?: string;
  unified?: boolean;
  showVolatile?: boolean;
}

/**
 * Section-aware policy diff between two restore points, computed on the committed bytes, so
 * secrets show as "secret changed" and no key is needed.
 */
export async function diff({
  ctx,
  from,
  to = "main",
  unified = false,
  showVolatile = false,
}: DiffOptions): Promise<DiffResult> {
  try {
    const [a, b] = await Promise.all([readSnapshot(ctx, from), readSnapshot(ctx, to)]);
    const report = semanticDiffReport(a.committedConfig, b.committedConfig, {
      idAttributes: ctx.profile.idAttributes,
      volatilePaths: ctx.profile.volatilePaths,
      localSections: ctx.profile.localSections,
      showVolatile,
      secretMarker: SECRET_MARKER_PATTERN,
    });
    const { formattingChanges, formattingKinds, volatileChanges } = report;
    const result: DiffResult & DiffStats = {
      from: a.commit,
      to: b.commit,
      entries: [...report.entries],
      text: "",
      formattingChanges,
      formattingKinds,
      volatileChanges,
    };
    const extraLines: string[] = [];
    if (a.manifest.certificate?.fingerprint256 !== b.manifest.certificate?.fingerprint256) {
      extraLines.push(
        `* certificate: ${a.manifest.certificate?.subject ?? "none"} → ${b.manifest.certificate?.subject ?? "none"} (fingerprint changed)`,
      );
      result.entries.push({
        kind: "certificate-changed",
        path: "certificate",
        old: a.manifest.certificate?.fingerprint256,
        new: b.manifest.certificate?.fingerprint256,
      });
    }
    // The reviewer's text (src/xml/render-diff.ts), the same in the CLI, pull requests and the dashboard.
    result.text = renderDiff(report.entries, { ...report, extraLines });
    if (unified) {
      // Each side in its own declared encoding (Shift_JIS, UTF-16…), not guessed.
      const text = (x: typeof a) => configText(x.committedConfig, x.manifest.config.encoding ?? "utf-8");
      result.unified = unifiedDiff(text(a), text(b), {
        fromLabel: `${from}:config.xml`,
        toLabel: `${to}:config.xml`,
      });
    }
    return result;
  } catch (err) {
    throw inOperation("diff", err);
  }
}

export {
  type ChangePreview,
  type PreviewOptions,
  type PreviewSide,
  previewChange,
} from "../core/preview-change.ts";

import { readSnapshot } from "../core/read-snapshot.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { SECRET_MARKER_PATTERN } from "../seal/lift-secrets.ts";
import { formatDiff } from "../xml/format-diff.ts";
import { semanticDiff } from "../xml/semantic-diff.ts";
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
    const entries = semanticDiff(a.committedConfig, b.committedConfig, {
      idAttributes: ctx.profile.idAttributes,
      volatilePaths: ctx.profile.volatilePaths,
      showVolatile,
      secretMarker: SECRET_MARKER_PATTERN,
    });
    const result: DiffResult = { from: a.commit, to: b.commit, entries, text: formatDiff(entries) };
    if (a.manifest.certificate?.fingerprint256 !== b.manifest.certificate?.fingerprint256) {
      const line = `* certificate: ${a.manifest.certificate?.subject ?? "none"} → ${b.manifest.certificate?.subject ?? "none"} (fingerprint changed)`;
      result.text = result.text ? `${result.text}\n${line}` : line;
      result.entries.push({
        kind: "certificate-changed",
        path: "certificate",
        old: a.manifest.certificate?.fingerprint256,
        new: b.manifest.certificate?.fingerprint256,
      });
    }
    if (unified) {
      const dec = new TextDecoder(a.manifest.config.encoding === "utf-8" ? "utf-8" : "latin1");
      result.unified = unifiedDiff(dec.decode(a.committedConfig), dec.decode(b.committedConfig), {
        fromLabel: `${from}:config.xml`,
        toLabel: `${to}:config.xml`,
      });
    }
    return result;
  } catch (err) {
    throw inOperation("diff", err);
  }
}

import { decodeManifest, type Manifest } from "../core/manifest.ts";
import { CONFIG_FILE, MANIFEST_FILE } from "../core/prepare-snapshot.ts";
import type { HomeContext } from "../home/context.ts";
import { SECRET_MARKER_PATTERN } from "../seal/lift-secrets.ts";
import { configText } from "../xml/decode-xml-bytes.ts";
import { renderDiff } from "../xml/render-diff.ts";
import { semanticDiffReport } from "../xml/semantic-diff.ts";
import { unifiedDiff } from "../xml/unified-diff.ts";

export interface PointFacts {
  /** config.xml as committed: secret markers in place, so no value can reach a report. */
  committedConfig: Uint8Array;
  manifest: Manifest;
  label: string;
}

/** The committed config and manifest of a commit of this home, as a report's "before" side. */
export async function pointFactsAt(ctx: HomeContext, commit: string, label: string): Promise<PointFacts> {
  return {
    committedConfig: await ctx.engine.readFile(commit, CONFIG_FILE),
    manifest: decodeManifest(await ctx.engine.readFile(commit, MANIFEST_FILE), commit),
    label,
  };
}

export interface PolicyReport {
  /** Section-aware summary, one line per change ("no policy change" when none). */
  policy: string;
  changeCount: number;
  /** "* path: secret changed" lines, never values. */
  secrets: string[];
  certificate: string;
  unified: string;
  unifiedStats: string;
}

/** Largest unified diff put into a pull request (GitHub bodies and comments hold 65,536 characters). */
const MAX_UNIFIED = 40_000;

/** What a reviewer reads: the policy diff, secrets and certificate changes, the unified diff. */
export function policyReport(ctx: HomeContext, before: PointFacts | null, after: PointFacts): PolicyReport {
  const afterText = configText(after.committedConfig, after.manifest.config.encoding);
  let policy: string;
  let changeCount: number;
  let secrets: string[] = [];
  if (before) {
    const report = semanticDiffReport(before.committedConfig, after.committedConfig, {
      idAttributes: ctx.profile.idAttributes,
      volatilePaths: ctx.profile.volatilePaths,
      localSections: ctx.profile.localSections,
      secretMarker: SECRET_MARKER_PATTERN,
    });
    const entries = report.entries;
    const lines = renderDiff(entries, report).split("\n").filter(Boolean);
    secrets = lines.filter((l) => l.startsWith("* ") && l.includes(": secret changed"));
    changeCount = entries.length;
    policy = lines.length > 0 ? lines.join("\n") : "no policy change";
  } else {
    changeCount = 1;
    policy = `+ (root) added: first restore point (${after.committedConfig.length} bytes)`;
  }
  const beforeText = before ? configText(before.committedConfig, before.manifest.config.encoding) : "";
  let unified = unifiedDiff(beforeText, afterText, {
    fromLabel: `${before?.label ?? "(none)"}:config.xml`,
    toLabel: `${after.label}:config.xml`,
  });
  const plus = unified.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++")).length;
  const minus = unified.split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---")).length;
  const unifiedStats = `+${plus} −${minus} lines`;
  if (unified.length > MAX_UNIFIED) {
    unified = `${unified.slice(0, MAX_UNIFIED)}\n… (cut at ${MAX_UNIFIED} characters; run \`confvault diff\` for all of it)`;
  }
  return {
    policy,
    changeCount,
    secrets,
    certificate: certificateLine(before?.manifest.certificate ?? null, after.manifest.certificate),
    unified: unified || "(config.xml bytes unchanged)",
    unifiedStats,
  };
}

function certificateLine(a: Manifest["certificate"], b: Manifest["certificate"]): string {
  const describe = (c: NonNullable<Manifest["certificate"]>) =>
    `${c.subject} (sha256 ${c.fingerprint256.slice(0, 23)}…, valid until ${c.notAfter})`;
  if (a?.fingerprint256 === b?.fingerprint256) return b ? `unchanged: ${describe(b)}` : "none";
  if (!b) return `removed: ${a ? describe(a) : "none"}`;
  return `changed: ${a ? describe(a) : "none"} → ${describe(b)}`;
}

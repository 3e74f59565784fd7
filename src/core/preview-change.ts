import { promises as fsp } from "node:fs";
import type { DiffResult } from "../api/types.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { liftSecrets, SECRET_MARKER_PATTERN } from "../seal/lift-secrets.ts";
import { renderDiff } from "../xml/render-diff.ts";
import { scanXml } from "../xml/scan-xml.ts";
import { type SemanticDiffEntry, semanticDiff } from "../xml/semantic-diff.ts";
import { tagOf } from "./current-cert-key.ts";
import { decodeManifest, type Manifest } from "./manifest.ts";
import { CONFIG_FILE, MANIFEST_FILE } from "./prepare-snapshot.ts";

type Certificate = Manifest["certificate"];

/** One side of a preview: the policy changes, as entries and as the diff text. */
export interface PreviewSide {
  entries: DiffResult["entries"];
  text: string;
}

/**
 * What a change would do, before it is made (apply, restore and rollback with --dry-run): the
 * policy changes from the current restore point (the tip of main) to the new config, and from the
 * live config.xml on this machine to the new one. Secrets show as "secret changed", never their
 * values; both sides are compared with their secrets lifted to markers under this home's key.
 */
export interface ChangePreview {
  /** The current restore point's commit (null: none yet) and its tag (null: untagged). */
  from: string | null;
  fromTag: string | null;
  /** Current restore point → new config (null when there is no restore point yet). */
  current: PreviewSide | null;
  /**
   * Live config.xml → new config. `state` says whether the live file exists and parses;
   * entries and text are empty unless it is "present".
   */
  live: PreviewSide & { state: "present" | "missing" | "unreadable"; problem?: string };
  /** True when the new config equals the current restore point and the live file. */
  unchanged: boolean;
  /** The whole preview for a reader (both sides, headed). */
  text: string;
}

export interface PreviewOptions {
  /** The config.xml the appliance would get (secrets in place). */
  config: Uint8Array;
  /** The certificate the change would record (from its manifest), when known. */
  certificate?: Certificate;
  /** Label of the new side in the text ("rp/…" for a restore, "the new config" for an apply). */
  label?: string;
}

/** Previews a change against the tip of main and the live config; writes nothing. */
export async function previewChange(ctx: HomeContext, options: PreviewOptions): Promise<ChangePreview> {
  const keys = await ctx.keys();
  const lift = (bytes: Uint8Array) => {
    const scan = scanXml(bytes, { patterns: ctx.profile.secretPaths });
    const spans = scan.matches.filter((m) => !m.hasChildren && m.contentEnd > m.contentStart);
    return liftSecrets(bytes, spans, keys.markerKey).bytes;
  };
  const diffOptions = {
    idAttributes: ctx.profile.idAttributes,
    volatilePaths: ctx.profile.volatilePaths,
    localSections: ctx.profile.localSections,
    secretMarker: SECRET_MARKER_PATTERN,
    secretPaths: ctx.profile.secretPaths,
  };
  const next = lift(options.config);
  const from = await ctx.engine.branchTip("main");
  let current: PreviewSide | null = null;
  if (from) {
    const [committed, manifestBytes] = await Promise.all([
      ctx.engine.readFile(from, CONFIG_FILE),
      ctx.engine.readFile(from, MANIFEST_FILE),
    ]);
    const entries: DiffResult["entries"] = semanticDiff(committed, next, diffOptions);
    let text = renderDiff(entries as SemanticDiffEntry[]);
    if (options.certificate !== undefined) {
      const cert = certificateLine(decodeManifest(manifestBytes, from).certificate, options.certificate);
      if (cert) {
        entries.push(cert.entry);
        text = `${text}${cert.line}\n`;
      }
    }
    current = { entries, text };
  }
  const live = await liveSide(ctx, next, lift, diffOptions);
  const fromTag = from ? ((await tagOf(ctx, from)) ?? null) : null;
  const unchanged =
    current !== null && current.entries.length === 0 && live.state === "present" && live.entries.length === 0;
  const label = options.label ?? "the new config";
  const parts: string[] = [];
  if (current === null) parts.push(`no restore point yet: ${label} would be the first`);
  else
    parts.push(
      current.entries.length === 0
        ? `current restore point ${fromTag ?? from!.slice(0, 12)} → ${label}: no policy changes`
        : `current restore point ${fromTag ?? from!.slice(0, 12)} → ${label}:\n${indent(current.text)}`,
    );
  if (live.state === "missing") parts.push(`live config.xml → ${label}: there is no live config.xml yet`);
  else if (live.state === "unreadable")
    parts.push(`live config.xml → ${label}: the live file does not parse (${live.problem})`);
  else if (current !== null && live.entries.length > 0 && live.text === current.text)
    parts.push(
      `live config.xml → ${label}: the same changes (the live file matches the current restore point)`,
    );
  else
    parts.push(
      live.entries.length === 0
        ? `live config.xml → ${label}: no policy changes`
        : `live config.xml → ${label}:\n${indent(live.text)}`,
    );
  return { from, fromTag, current, live, unchanged, text: `${parts.join("\n")}\n` };
}

async function liveSide(
  ctx: HomeContext,
  next: Uint8Array,
  lift: (bytes: Uint8Array) => Uint8Array,
  diffOptions: Parameters<typeof semanticDiff>[2],
): Promise<ChangePreview["live"]> {
  const path = ctx.live("config");
  const bytes = path
    ? await fsp.readFile(path).then(
        (b) => new Uint8Array(b),
        (err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT") return null;
          throw err;
        },
      )
    : null;
  if (bytes === null) return { state: "missing", entries: [], text: "" };
  try {
    const entries: DiffResult["entries"] = semanticDiff(lift(bytes), next, diffOptions);
    return { state: "present", entries, text: renderDiff(entries as SemanticDiffEntry[]) };
  } catch (err) {
    const problem =
      err instanceof ConfvaultError || err instanceof Error ? err.message.split("\n")[0]! : String(err);
    return { state: "unreadable", problem, entries: [], text: "" };
  }
}

function certificateLine(
  a: Certificate,
  b: Certificate,
): { entry: DiffResult["entries"][number]; line: string } | null {
  if (a?.fingerprint256 === b?.fingerprint256) return null;
  return {
    entry: {
      kind: "certificate-changed",
      path: "certificate",
      old: a?.fingerprint256,
      new: b?.fingerprint256,
    },
    line: `* certificate: ${a?.subject ?? "none"} → ${b?.subject ?? "none"} (fingerprint changed)`,
  };
}

function indent(text: string): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

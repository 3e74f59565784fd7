import { base64 } from "@scure/base";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { ElementSpan } from "../xml/types.ts";
import { encodeMarker, markerByteLength, markerEncodingOf, markerText } from "./marker-encoding.ts";
import { SECRET_MARKER_EXACT, secretMarker } from "./secret-marker.ts";

export { restoreSecrets } from "./restore-secrets.ts";
/** The marker RegExp under the name callers already use (same object as SECRET_MARKER_RE). */
export {
  SECRET_MARKER_EXACT,
  SECRET_MARKER_RE,
  SECRET_MARKER_RE as SECRET_MARKER_PATTERN,
} from "./secret-marker.ts";

export interface LiftedSecrets {
  /** The document with each secret's raw content replaced by its marker. */
  bytes: Uint8Array;
  /** marker → base64 of the raw content bytes (as they stood: CDATA wrapper, entities and all). */
  secrets: Record<string, string>;
  /**
   * Markers that were already in the document (a config taken from the repository, e.g. a
   * merged pull request): left as they are; their values must come from the previous bundle.
   */
  existingMarkers: string[];
}

/**
 * Replaces the raw content bytes [contentStart, contentEnd) of every leaf span by its
 * deterministic marker. Spans with child elements and empty elements are skipped; everything
 * outside the spans is copied untouched, so the document keeps its encoding, BOM and line ends.
 */
export function liftSecrets(
  bytes: Uint8Array,
  spans: readonly ElementSpan[],
  markerKey: Uint8Array,
): LiftedSecrets {
  if (!(bytes instanceof Uint8Array)) throw bad("the document must be bytes (Uint8Array)");
  if (!(markerKey instanceof Uint8Array) || markerKey.length < 16) {
    throw bad("the marker key must be at least 16 bytes (use deriveIdentity's markerKey)");
  }
  const leaves = selectLeaves(bytes.length, spans);
  const secrets: Record<string, string> = {};
  const existingMarkers: string[] = [];
  const pieces: Uint8Array[] = [];
  const encoding = markerEncodingOf(bytes);
  let at = 0;
  for (const span of leaves) {
    const raw = bytes.subarray(span.contentStart, span.contentEnd);
    const asText = raw.length === markerByteLength(encoding) ? markerText(raw, encoding) : "";
    if (SECRET_MARKER_EXACT.test(asText)) {
      if (!existingMarkers.includes(asText)) existingMarkers.push(asText);
      continue;
    }
    const marker = secretMarker(markerKey, raw);
    const value = base64.encode(raw);
    if (Object.hasOwn(secrets, marker) && secrets[marker] !== value) {
      throw new ConfvaultError(
        "INTERNAL",
        "two different secret values gave the same marker",
        "report this",
        {
          path: span.path,
        },
      );
    }
    secrets[marker] = value;
    pieces.push(bytes.subarray(at, span.contentStart), encodeMarker(marker, encoding));
    at = span.contentEnd;
  }
  pieces.push(bytes.subarray(at));
  return { bytes: concat(pieces), secrets, existingMarkers };
}

function selectLeaves(length: number, spans: readonly ElementSpan[]): ElementSpan[] {
  if (!Array.isArray(spans)) throw bad("spans must be a list of element spans");
  const byStart = new Map<number, ElementSpan>();
  for (const span of spans) {
    const { contentStart: s, contentEnd: e } = span ?? ({} as ElementSpan);
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e < s || e > length) {
      throw bad(`element span ${span?.path ?? "?"} lies outside the document`, { path: span?.path });
    }
    if (span.hasChildren || e === s) continue;
    const seen = byStart.get(s);
    if (seen && seen.contentEnd !== e)
      throw bad(`element spans overlap at ${span.path}`, { path: span.path });
    byStart.set(s, span);
  }
  const leaves = [...byStart.values()].sort((a, b) => a.contentStart - b.contentStart);
  for (let i = 1; i < leaves.length; i++) {
    if (leaves[i].contentStart < leaves[i - 1].contentEnd) {
      throw bad(`element spans overlap at ${leaves[i].path}`, { path: leaves[i].path });
    }
  }
  return leaves;
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bad(message: string, data: Record<string, unknown> = {}): ConfvaultError {
  return new ConfvaultError("BAD_INPUT", message, "pass the spans scanXml found in these same bytes", {
    operation: "liftSecrets",
    ...data,
  });
}

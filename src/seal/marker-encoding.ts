import { SECRET_MARKER_RE } from "./secret-marker.ts";

/**
 * Secret markers are ASCII. In an ASCII-compatible document (UTF-8, the legacy single- and
 * multi-byte encodings) they are their ASCII bytes; in a UTF-16 document (which must start
 * with a byte order mark) they are written, and searched for, as UTF-16 in the BOM's order,
 * so the repository copy stays a valid document in its own encoding.
 */
export type MarkerEncoding = "ascii" | "utf-16le" | "utf-16be";

export function markerEncodingOf(document: Uint8Array): MarkerEncoding {
  if (document[0] === 0xff && document[1] === 0xfe) return "utf-16le";
  if (document[0] === 0xfe && document[1] === 0xff) return "utf-16be";
  return "ascii";
}

/** The bytes of an ASCII marker in the document's encoding. */
export function encodeMarker(marker: string, encoding: MarkerEncoding): Uint8Array {
  if (encoding === "ascii") return new TextEncoder().encode(marker);
  const out = new Uint8Array(marker.length * 2);
  const low = encoding === "utf-16le" ? 0 : 1;
  for (let i = 0; i < marker.length; i++) out[i * 2 + low] = marker.charCodeAt(i);
  return out;
}

/** The text of raw bytes that may be one marker ("" when they cannot be), in the document's encoding. */
export function markerText(raw: Uint8Array, encoding: MarkerEncoding): string {
  return encoding === "ascii" ? new TextDecoder().decode(raw) : new TextDecoder(encoding).decode(raw);
}

/** Bytes one marker takes in the document's encoding. */
export function markerByteLength(encoding: MarkerEncoding): number {
  return encoding === "ascii" ? 44 : 88;
}

/**
 * A global RegExp finding markers in a binaryString view of the document: matches hold the
 * marker's bytes (NUL-interleaved in UTF-16); `markerOf` turns a match back into the marker.
 */
export function markerSearch(encoding: MarkerEncoding): { re: RegExp; markerOf(match: string): string } {
  if (encoding === "ascii") return { re: new RegExp(SECRET_MARKER_RE.source, "g"), markerOf: (m) => m };
  const unit = (c: string) => (encoding === "utf-16le" ? `${c}\\x00` : `\\x00${c}`);
  const prefix = [..."confvault-secret:v1:"].map((c) => unit(c.replace(/[-:]/g, "\\$&"))).join("");
  // A UTF-16 unit is 2-byte aligned after the 2-byte BOM: only even offsets count (checked by the caller).
  return {
    re: new RegExp(`${prefix}(?:${unit("[0-9a-f]")}){24}`, "g"),
    markerOf: (m) => m.replace(/\x00/g, ""),
  };
}

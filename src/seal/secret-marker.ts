import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * A secret marker stands in config.xml where a secret value was:
 * `confvault-secret:v1:` + the first 24 hex digits (96 bits) of HMAC-SHA256(markerKey, raw
 * content bytes). Pure ASCII, no XML-special characters, so it is valid element text in any
 * ASCII-compatible encoding. Same value and key, same marker: unchanged secrets stay quiet in
 * diffs.
 *
 * Not global, so `test()` keeps no state between calls; use `new RegExp(SECRET_MARKER_RE.source,
 * "g")` to find every marker.
 */
export const SECRET_MARKER_RE = /confvault-secret:v1:[0-9a-f]{24}/;
/** A whole string that is exactly one marker. */
export const SECRET_MARKER_EXACT = /^confvault-secret:v1:[0-9a-f]{24}$/;
export const SECRET_MARKER_PREFIX = "confvault-secret:v1:";

export function secretMarker(markerKey: Uint8Array, raw: Uint8Array): string {
  return SECRET_MARKER_PREFIX + bytesToHex(hmac(sha256, markerKey, raw)).slice(0, 24);
}

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { canonicalBundleJson, type SecretBundle } from "./secret-bundle.ts";

/**
 * Hex HMAC-SHA256(markerKey, canonical JSON of the bundle). Kept in the manifest: equal
 * digests mean the bundle content is unchanged and need not be re-sealed (age output differs
 * on every encryption). Reveals nothing about the content without the key.
 */
export function bundleDigest(bundle: SecretBundle, markerKey: Uint8Array): string {
  return bytesToHex(hmac(sha256, markerKey, new TextEncoder().encode(canonicalBundleJson(bundle))));
}

import { base64 } from "@scure/base";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { binaryString } from "./binary-string.ts";
import { markerEncodingOf, markerSearch } from "./marker-encoding.ts";

/**
 * Puts the raw secret bytes back in place of every marker: the inverse of liftSecrets, byte
 * for byte. A marker without an entry in `secrets` is refused (BAD_INPUT naming the marker):
 * the bundle does not belong to this config.xml.
 */
export function restoreSecrets(bytes: Uint8Array, secrets: Readonly<Record<string, string>>): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new ConfvaultError("BAD_INPUT", "the document must be bytes (Uint8Array)", "pass a Uint8Array");
  }
  const text = binaryString(bytes);
  const pieces: Uint8Array[] = [];
  let at = 0;
  let size = 0;
  const encoding = markerEncodingOf(bytes);
  const search = markerSearch(encoding);
  for (const m of text.matchAll(search.re)) {
    if (encoding !== "ascii" && m.index % 2 !== 0) continue; // not on a UTF-16 unit boundary
    const marker = search.markerOf(m[0]);
    const value = Object.hasOwn(secrets, marker) ? secrets[marker] : undefined;
    if (typeof value !== "string") {
      throw new ConfvaultError(
        "BAD_INPUT",
        `config.xml holds secret marker ${marker}, which the sealed bundle does not contain`,
        "the bundle and config.xml come from different commits, or the marker was edited by hand: " +
          "restore both files from the same restore point",
        { marker, offset: m.index, operation: "restoreSecrets" },
      );
    }
    const raw = base64.decode(value);
    pieces.push(bytes.subarray(at, m.index), raw);
    size += m.index - at + raw.length;
    at = m.index + m[0].length;
  }
  if (pieces.length === 0) return bytes.slice();
  pieces.push(bytes.subarray(at));
  size += bytes.length - at;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

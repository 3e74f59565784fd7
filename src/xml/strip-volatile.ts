import { scanXml } from "./scan-xml.ts";
import { type ByteReplacement, spliceBytes } from "./splice-bytes.ts";

const EMPTY = new Uint8Array(0);

/**
 * A copy of `bytes` with the content of every volatile element emptied (`<time>…</time>`
 * becomes `<time></time>`), so two captures can be compared for real policy changes.
 */
export function stripVolatile(bytes: Uint8Array, volatilePaths: readonly string[]): Uint8Array {
  if (volatilePaths.length === 0) return bytes.slice();
  const { matches } = scanXml(bytes, { patterns: volatilePaths });
  const replacements: ByteReplacement[] = [];
  let coveredTo = 0;
  for (const span of matches) {
    // Matches come in document order; one inside an already emptied element is gone anyway.
    if (span.start < coveredTo || span.contentEnd === span.contentStart) continue;
    replacements.push({ start: span.contentStart, end: span.contentEnd, bytes: EMPTY });
    coveredTo = span.end;
  }
  return spliceBytes(bytes, replacements);
}

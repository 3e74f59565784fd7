import type { DecodedXml } from "./decode-xml-bytes.ts";

/**
 * Maps string indexes of the decoded text to byte offsets in the original bytes. Calls must
 * come in non-decreasing order (as a scan produces them): the mapper only walks forward, and
 * only through non-ASCII runs, so ASCII text costs nothing beyond a native regex search.
 */
export function createByteOffsetMapper(decoded: DecodedXml): (index: number) => number {
  const { text, bomLength } = decoded;
  if (decoded.oneBytePerChar) return (index) => index + bomLength;
  const nonAscii = /[^\x00-\x7f]+/g;
  let runStart = -1;
  let runEnd = 0;
  let p = 0; // every non-ASCII char before p is counted in extra
  let extra = 0;
  return (index) => {
    if (index < p) {
      runStart = -1;
      runEnd = 0;
      p = 0;
      extra = 0;
    }
    while (true) {
      if (p >= runEnd) {
        nonAscii.lastIndex = p;
        const m = nonAscii.exec(text);
        runStart = m ? m.index : Number.POSITIVE_INFINITY;
        runEnd = m ? m.index + m[0].length : Number.POSITIVE_INFINITY;
      }
      if (runStart >= index) break;
      if (p < runStart) p = runStart;
      const stop = Math.min(index, runEnd);
      for (; p < stop; p++) {
        const c = text.charCodeAt(p);
        // 2-byte chars add 1; 3-byte chars add 2; a surrogate pair (4 bytes, 2 units) adds 1 per unit.
        extra += c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 1 : 2;
      }
      if (p >= index) break;
    }
    return index + extra + bomLength;
  };
}

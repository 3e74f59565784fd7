import type { DecodedXml } from "./decode-xml-bytes.ts";

/**
 * Maps string indexes of the decoded text to byte offsets in the original bytes. Calls must
 * come in non-decreasing order (as a scan produces them): the mapper only walks forward, and
 * only through non-ASCII runs, so ASCII text costs nothing beyond a native regex search.
 */
export function createByteOffsetMapper(decoded: DecodedXml): (index: number) => number {
  const { text, bomLength } = decoded;
  if (decoded.oneBytePerChar) return (index) => index + bomLength;
  if (decoded.layout === "utf-16") return (index) => index * 2 + bomLength;
  if (decoded.layout === "multi-byte") return multiByteMapper(decoded.bytes!, decoded.decoder!);
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

/**
 * Bytes that are always one whole character in Shift_JIS, EUC-JP, EUC-KR, Big5 and GBK/GB18030:
 * below 0x40 none of them is ever a trail byte, except the digits, which are GB18030's second
 * and fourth bytes. All XML markup ("<", ">", "&", quotes, "=", "/", "?", ";", whitespace) is here.
 */
const BOUNDARY = new Uint8Array(256);
for (let b = 0; b < 0x40; b++) BOUNDARY[b] = b >= 0x30 && b <= 0x39 ? 0 : 1;

/**
 * Index → byte offset for an ASCII-compatible multi-byte encoding. Walks forward: an ASCII byte
 * at a character boundary is one character; a run starting at a high byte goes up to the next
 * BOUNDARY byte (it may hold ASCII trail bytes) and is decoded alone to learn how many code
 * units it is, which is exact because every BOUNDARY byte starts a character and these
 * decoders keep no state across one. An index inside such a run is found byte by byte.
 */
function multiByteMapper(bytes: Uint8Array, decoder: string): (index: number) => number {
  const runDecoder = new TextDecoder(decoder, { ignoreBOM: true });
  let p = 0; // text index at a character boundary
  let b = 0; // its byte offset
  return (index) => {
    if (index < p) {
      p = 0;
      b = 0;
    }
    while (p < index) {
      if (bytes[b] < 0x80) {
        p++;
        b++;
        continue;
      }
      let e = b + 1;
      while (e < bytes.length && BOUNDARY[bytes[e]] === 0) e++;
      const units = runDecoder.decode(bytes.subarray(b, e)).length;
      if (p + units <= index) {
        p += units;
        b = e;
        continue;
      }
      const stream = new TextDecoder(decoder, { ignoreBOM: true });
      let q = p;
      let j = b;
      while (q < index && j < e) q += stream.decode(bytes.subarray(j, ++j), { stream: true }).length;
      return j;
    }
    return b;
  };
}

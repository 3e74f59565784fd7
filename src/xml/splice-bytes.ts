import { ConfvaultError } from "../errors/confvault-error.ts";

export interface ByteReplacement {
  start: number;
  end: number;
  bytes: Uint8Array;
}

/** A copy of `bytes` with each [start, end) range replaced; ranges may come in any order but must not overlap. */
export function spliceBytes(bytes: Uint8Array, replacements: readonly ByteReplacement[]): Uint8Array {
  const sorted = [...replacements].sort((a, b) => a.start - b.start || a.end - b.end);
  let size = bytes.length;
  let previousEnd = 0;
  for (const r of sorted) {
    if (
      !Number.isInteger(r.start) ||
      !Number.isInteger(r.end) ||
      r.start < 0 ||
      r.end < r.start ||
      r.end > bytes.length
    ) {
      throw new ConfvaultError(
        "INTERNAL",
        `spliceBytes: range [${r.start}, ${r.end}) is outside 0..${bytes.length}`,
      );
    }
    if (r.start < previousEnd) {
      throw new ConfvaultError(
        "INTERNAL",
        `spliceBytes: range [${r.start}, ${r.end}) overlaps the range ending at ${previousEnd}`,
      );
    }
    previousEnd = r.end;
    size += r.bytes.length - (r.end - r.start);
  }
  const out = new Uint8Array(size);
  let from = 0;
  let to = 0;
  for (const r of sorted) {
    out.set(bytes.subarray(from, r.start), to);
    to += r.start - from;
    out.set(r.bytes, to);
    to += r.bytes.length;
    from = r.end;
  }
  out.set(bytes.subarray(from), to);
  return out;
}

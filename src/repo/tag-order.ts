import type { TagInfo } from "./engine.ts";

const SEQUENCE_TRAILER = /^Confvault-Sequence:[ \t]*(\d+)[ \t]*$/m;

/** The `Confvault-Sequence:` trailer of a tag message; 0 when absent (foreign or old tags). */
export function tagSequence(message: string): number {
  const m = SEQUENCE_TRAILER.exec(message);
  return m ? Number(m[1]) : 0;
}

/** Compares names with digit runs as numbers, so "…Z-9" < "…Z-10". */
export function compareNatural(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const n = BigInt(x) - BigInt(y);
      if (n !== 0n) return n < 0n ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

export interface OrderedPoint {
  name: string;
  /** 0: no sequence (sorts after every point that has one). */
  sequence: number;
  /** Seconds since the epoch. */
  time: number;
}

/**
 * The one total order of restore points, newest first: sequence desc (points without one
 * after), then time desc, then numeric-aware name desc.
 */
export function comparePointsNewestFirst(a: OrderedPoint, b: OrderedPoint): number {
  return b.sequence - a.sequence || b.time - a.time || compareNatural(b.name, a.name);
}

/** `comparePointsNewestFirst` over tags, without allocating (it sorts thousands of them). */
export function compareTagsNewestFirst(a: TagInfo, b: TagInfo): number {
  return b.sequence - a.sequence || b.tagger.timestamp - a.tagger.timestamp || compareNatural(b.name, a.name);
}

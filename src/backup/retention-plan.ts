import { comparePointsNewestFirst } from "../repo/tag-order.ts";

/**
 * Restore-point retention the way restic and borg do it for snapshots: each rule keeps the
 * newest point of each of the last N distinct periods (UTC). User-named restore points and the
 * newest point are always kept. Pure: the caller deletes what `remove` lists.
 */
export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
}

export interface PointForRetention {
  tag: string;
  /** Seconds since the epoch. */
  time: number;
  /** Restore-point sequence (0 or absent: none, ordered after by time then name). */
  sequence?: number;
}

export interface RetentionDecision extends PointForRetention {
  keep: boolean;
  reasons: string[];
}

export const DEFAULT_RETENTION: Required<RetentionPolicy> = {
  keepLast: 10,
  keepHourly: 24,
  keepDaily: 7,
  keepWeekly: 4,
  keepMonthly: 12,
  keepYearly: 0,
};

const GENERATED = /^rp\/\d{8}T\d{6}Z-\d+(\.\d+)?$/;

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

const BUCKETS: Array<[keyof RetentionPolicy, string, (d: Date) => string]> = [
  ["keepHourly", "hourly", (d) => d.toISOString().slice(0, 13)],
  ["keepDaily", "daily", (d) => d.toISOString().slice(0, 10)],
  ["keepWeekly", "weekly", isoWeek],
  ["keepMonthly", "monthly", (d) => d.toISOString().slice(0, 7)],
  ["keepYearly", "yearly", (d) => d.toISOString().slice(0, 4)],
];

export function planRetention(
  points: readonly PointForRetention[],
  policy: RetentionPolicy,
): RetentionDecision[] {
  // Newest first by sequence: keep-last keeps the highest sequences and the first point met
  // in a bucket (the one kept) is its highest sequence.
  const sorted = [...points].sort((a, b) =>
    comparePointsNewestFirst(
      { name: a.tag, sequence: a.sequence ?? 0, time: a.time },
      { name: b.tag, sequence: b.sequence ?? 0, time: b.time },
    ),
  );
  const decisions = sorted.map((p) => ({ ...p, keep: false, reasons: [] as string[] }));
  decisions.forEach((d, i) => {
    if (i === 0) d.reasons.push("newest");
    if (!GENERATED.test(d.tag)) d.reasons.push("named");
    if (policy.keepLast && i < policy.keepLast) d.reasons.push(`last ${policy.keepLast}`);
  });
  for (const [key, label, bucketOf] of BUCKETS) {
    const limit = policy[key] ?? 0;
    if (limit <= 0) continue;
    const seen = new Set<string>();
    for (const d of decisions) {
      const bucket = bucketOf(new Date(d.time * 1000));
      if (seen.has(bucket)) continue;
      seen.add(bucket);
      if (seen.size > limit) break;
      d.reasons.push(`${label} ${bucket}`);
    }
  }
  for (const d of decisions) d.keep = d.reasons.length > 0;
  return decisions;
}

import type { RestorePoint } from "../api/types.ts";
import { alignColumns, localTimeWithAge, paint } from "./output.ts";

/**
 * `log` for people: one aligned row per restore point, newest first:
 *   rp/short-timeouts   2026-12-03 14:05 (3 min ago)  apply    alice  1a2b3c4d5e6f  shorter timeouts
 * Local time with its age; the tag in yellow and the commit dimmed on a colour terminal.
 */
export function renderLog(points: readonly RestorePoint[], options: { now: Date; color: boolean }): string {
  if (points.length === 0) return "no restore points yet: apply a config first";
  const { now, color } = options;
  const rows = points.map((p) => [
    paint(color, "yellow", p.tag),
    localTimeWithAge(p.time, now),
    p.source || "-",
    p.actor || "-",
    paint(color, "dim", p.commit.slice(0, 12)),
    oneLine(p.reason),
  ]);
  return alignColumns(rows).join("\n");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

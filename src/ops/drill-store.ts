import type { PointCheck } from "../api/verify.ts";
import { createSerial, opsPaths, readState, writeState } from "./state-file.ts";

export interface DrillRecord {
  commit: string;
  time: string;
  ok: boolean;
  error?: { code: string; message: string };
}

export interface DrillRun {
  time: string;
  checked: number;
  ok: boolean;
  failed: string[];
}

export interface DrillsState {
  version: 1;
  /** Last drill per restore point. */
  points: Record<string, DrillRecord>;
  /** Newest last; at most 100. */
  runs: DrillRun[];
  lastSuccess: { time: string; ref: string } | null;
  lastFailure: { time: string; ref: string; error: string } | null;
}

// A fresh object every time: a shared empty state would collect every caller's points.
const empty = (): DrillsState => ({ version: 1, points: {}, runs: [], lastSuccess: null, lastFailure: null });
const serial = createSerial();

export async function readDrills(stateDir: string): Promise<DrillsState> {
  const s = await readState<DrillsState>(opsPaths(stateDir).drills, empty());
  return { ...empty(), ...s };
}

/** Records one drill run: each point's result (time, ok, error) and the run's summary. */
export async function recordDrills(stateDir: string, points: PointCheck[], now: Date): Promise<DrillsState> {
  return await serial(async () => {
    const s = await readDrills(stateDir);
    const time = now.toISOString();
    for (const p of points) {
      s.points[p.ref] = { commit: p.commit, time, ok: p.ok, ...(p.error ? { error: p.error } : {}) };
      if (p.ok) s.lastSuccess = { time, ref: p.ref };
      else
        s.lastFailure = {
          time,
          ref: p.ref,
          error: `${p.error?.code ?? ""} ${p.error?.message ?? ""}`.trim(),
        };
    }
    const failed = points.filter((p) => !p.ok).map((p) => p.ref);
    s.runs = [
      ...s.runs,
      { time, checked: points.length, ok: failed.length === 0, failed: failed.slice(0, 50) },
    ].slice(-100);
    await writeState(opsPaths(stateDir).drills, s);
    return s;
  });
}

/** Picks `n` distinct items at random (Fisher–Yates on a copy). */
export function sampleOf<T>(items: T[], n: number, random: () => number = Math.random): T[] {
  const copy = [...items];
  const k = Math.min(n, copy.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, k);
}

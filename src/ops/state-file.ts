import { promises as fsp } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../home/atomic-write.ts";

/** The files backup operations keep under `<home>/state/`. */
export function opsPaths(stateDir: string) {
  return {
    /** Per scheduled job: last run, result, duration, missed runs. */
    schedules: path.join(stateDir, "schedules.json"),
    /** Per restore point: the last drill (time, ok, error); and the drill runs. */
    drills: path.join(stateDir, "drills.json"),
    /** Open and recently resolved alert incidents, keyed by incident id. */
    alerts: path.join(stateDir, "alerts.json"),
    /** Per remote: last successful push and since when it has been failing. */
    pushHistory: path.join(stateDir, "push-history.json"),
  };
}

export type OpsPaths = ReturnType<typeof opsPaths>;

/** Reads a JSON state file; a missing or unreadable one gives `fallback` (state must never stop serve). */
export async function readState<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(file, "utf8")) as T;
  } catch {
    return fallback;
  }
}

export async function writeState(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`), {
    mode: 0o600,
  });
}

/** Serialises read-modify-write of state files inside one process. */
export function createSerial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

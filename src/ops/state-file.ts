import { promises as fsp } from "node:fs";
import path from "node:path";

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

export { createMutex as createSerial, writeJsonFile as writeState } from "../home/json-file.ts";

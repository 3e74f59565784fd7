import type { DiffEntry } from "./types.ts";

const MAX_VALUE = 200;

/** One human line per entry ("~ access/allow[id=5]/ip: "a" → "b""); secret values are never shown. */
export function formatDiff(entries: readonly DiffEntry[]): string {
  return entries.map((entry) => `${formatEntry(entry)}\n`).join("");
}

function formatEntry(entry: DiffEntry): string {
  const path = entry.path === "" ? "(root)" : entry.path;
  switch (entry.kind) {
    case "added":
      return `+ ${path} added`;
    case "removed":
      return `- ${path} removed`;
    case "moved":
      return `↕ ${path} moved from position ${entry.from} to ${entry.to}`;
    case "secret-changed":
      return `* ${path}: secret changed`;
    case "changed":
    case "attribute-changed":
      return `~ ${path}: ${quote(entry.old)} → ${quote(entry.new)}`;
  }
}

function quote(value: string | undefined): string {
  if (value === undefined) return "(none)";
  const shown = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  return JSON.stringify(shown);
}

import { promises as fsp } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";

/** A file a change replaced outside the repository, kept so a half-done change can be undone. */
export interface JournalFile {
  path: string;
  /** base64 of the bytes before the change; null when the file did not exist. */
  before: string | null;
  mode: number;
}

/**
 * The change in flight, written (fsynced) after every object of the new restore point exists and
 * before any ref moves, removed once the live files follow the new tip. Its presence after a
 * kill tells an interrupted change of ours (finish or undo it) from drift made by someone else.
 */
export interface ChangeJournal {
  version: 1;
  operation: string;
  /** main before the change (null: the first restore point). */
  from: string | null;
  /** The commit and tag the change makes. */
  commit: string;
  tag?: string;
  /** The live files follow the new tip once it lands (false for --no-live and capture). */
  writesLive: boolean;
  /** Files outside the repository the change replaces (`keys rotate`: the key source). */
  files?: JournalFile[];
  pid: number;
  startedAt: string;
}

export function journalPath(ctx: HomeContext): string {
  return path.join(ctx.layout.state, "change-in-flight.json");
}

export async function writeJournal(ctx: HomeContext, journal: ChangeJournal): Promise<void> {
  await fsp.mkdir(ctx.layout.state, { recursive: true });
  await writeFileAtomic(journalPath(ctx), new TextEncoder().encode(`${JSON.stringify(journal)}\n`), {
    mode: 0o600,
  });
}

/** The journal a killed change left, or null. A torn or foreign file reads as null (it is removed). */
export async function readJournal(ctx: HomeContext): Promise<ChangeJournal | null> {
  let text: string;
  try {
    text = await fsp.readFile(journalPath(ctx), "utf8");
  } catch {
    return null;
  }
  try {
    const j = JSON.parse(text) as ChangeJournal;
    if (j?.version === 1 && typeof j.commit === "string" && typeof j.operation === "string") return j;
  } catch {
    // writeFileAtomic never leaves a torn file; anything else here is not ours.
  }
  await clearJournal(ctx);
  return null;
}

export async function clearJournal(ctx: HomeContext): Promise<void> {
  await fsp.rm(journalPath(ctx), { force: true });
}

/** Reads a file's current bytes for the journal (null when it does not exist). */
export async function journalFile(file: string, mode: number): Promise<JournalFile> {
  const before = await fsp.readFile(file).catch(() => null);
  return { path: file, before: before ? before.toString("base64") : null, mode };
}

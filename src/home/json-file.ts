import { writeFileAtomic } from "./atomic-write.ts";

/** Writes a state file as pretty JSON, atomically, mode 0600. */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`), {
    mode: 0o600,
  });
}

/** Serialises async work (read-modify-write of a state file) inside one process. */
export function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

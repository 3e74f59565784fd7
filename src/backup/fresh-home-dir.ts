import { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { currentIdentity, type ProcessIdentity, staleReason } from "../home/home-lock.ts";

/** Written first into a home that recover builds; removed when the home is complete. */
export const RECOVER_MARKER = path.join("state", "recover-in-progress");
/** Never removed when cleaning a half-made home: the user may have put the key there. */
const KEEP = new Set(["activation.key"]);

export interface FreshHomeDir {
  dir: string;
  /** True when the folder held the half-made home of an interrupted recover, now cleaned. */
  resumed: boolean;
  /** Removes everything made in it (the folder itself too when we created it). */
  discard(): Promise<void>;
  /** Marks the home complete: removes the in-progress marker. */
  complete(): Promise<void>;
}

async function readMarker(dir: string): Promise<Partial<ProcessIdentity> | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path.join(dir, RECOVER_MARKER), "utf8"));
  } catch {
    return undefined;
  }
}

/** Only an empty state/ folder: a recover killed before its marker was written. */
async function onlyEmptyState(dir: string, entries: string[]): Promise<boolean> {
  const rest = entries.filter((e) => !KEEP.has(e));
  if (rest.length !== 1 || rest[0] !== "state") return false;
  return (await fsp.readdir(path.join(dir, "state")).catch(() => ["?"])).length === 0;
}

async function clean(dir: string): Promise<void> {
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!KEEP.has(name)) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Claims a folder for a new home: it must not exist, be empty, or hold the half-made home of an
 * interrupted recover (its `state/recover-in-progress` marker, from a process that is gone),
 * which is cleaned first. A marker is written before anything else.
 */
export async function claimFreshHomeDir(
  target: string,
  meta: Record<string, unknown> = {},
): Promise<FreshHomeDir> {
  const dir = path.resolve(target);
  let existed = false;
  let resumed = false;
  try {
    const entries = await fsp.readdir(dir);
    existed = true;
    if (entries.some((e) => !KEEP.has(e))) {
      const marker = await readMarker(dir);
      const me = await currentIdentity();
      if (marker && !(await staleReason(marker, me))) {
        throw new ConfvaultError(
          "HOME_EXISTS",
          `${dir} is being recovered right now (pid ${marker.pid ?? "?"})`,
          "wait for that recover to finish",
          { home: dir, marker },
        );
      }
      if (!marker && !(await onlyEmptyState(dir, entries))) {
        throw new ConfvaultError(
          "HOME_EXISTS",
          `${dir} is not empty and is not a recover left half-done: recover only builds a new home`,
          "point --home at a new or empty folder; to put an older point back on an existing home use `confvault restore`",
          { home: dir },
        );
      }
      await clean(dir);
      resumed = true;
    }
  } catch (err) {
    if (err instanceof ConfvaultError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      throw new ConfvaultError("HOME_EXISTS", `${dir} is a file`, "pick another --home", { home: dir });
    if (code !== "ENOENT") throw err;
  }
  await fsp.mkdir(path.join(dir, "state"), { recursive: true, mode: 0o700 });
  await fsp.chmod(dir, 0o700).catch(() => {});
  const markerPath = path.join(dir, RECOVER_MARKER);
  await fsp.writeFile(
    markerPath,
    `${JSON.stringify({ ...(await currentIdentity()), since: new Date().toISOString(), ...meta })}\n`,
    { mode: 0o600 },
  );
  return {
    dir,
    resumed,
    async discard() {
      if (!existed) {
        await fsp.rm(dir, { recursive: true, force: true });
        return;
      }
      await clean(dir);
    },
    async complete() {
      await fsp.rm(markerPath, { force: true });
    },
  };
}

import { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";

export interface FreshHomeDir {
  dir: string;
  /** Removes everything made in it (the folder itself too when we created it). */
  discard(): Promise<void>;
}

/**
 * Claims a folder for a new home: it must not exist, or be empty. Nothing is created yet
 * beyond the folder itself (mode 0700).
 */
export async function claimFreshHomeDir(target: string): Promise<FreshHomeDir> {
  const dir = path.resolve(target);
  let existed = false;
  try {
    const entries = await fsp.readdir(dir);
    existed = true;
    if (entries.length > 0) {
      throw new ConfvaultError(
        "HOME_EXISTS",
        `${dir} is not empty: recover only builds a new home`,
        "point --home at a new or empty folder; to put an older point back on an existing home use `confvault restore`",
        { home: dir },
      );
    }
  } catch (err) {
    if (err instanceof ConfvaultError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      throw new ConfvaultError("HOME_EXISTS", `${dir} is a file`, "pick another --home", { home: dir });
    if (code !== "ENOENT") throw err;
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    dir,
    async discard() {
      if (!existed) {
        await fsp.rm(dir, { recursive: true, force: true });
        return;
      }
      for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
        await fsp.rm(path.join(dir, name), { recursive: true, force: true });
      }
    },
  };
}

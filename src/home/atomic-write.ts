import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";

export interface StagedFile {
  target: string;
  /** Renames the staged bytes over the target and fsyncs the folder. */
  commit(): Promise<void>;
  /** Removes the staged temp file; the target is untouched. */
  abort(): Promise<void>;
}

/**
 * Writes the new bytes into a temp file beside `target` and fsyncs it, without touching the
 * target: the slow part of an atomic write, which can run while other work (a commit) goes on.
 * The existing file's mode and owner are kept (a new file gets `mode`, default 0644).
 */
export async function stageFileAtomic(
  target: string,
  bytes: Uint8Array,
  options: { mode?: number } = {},
): Promise<StagedFile> {
  const dir = path.dirname(target);
  await fsp.mkdir(dir, { recursive: true });
  let mode = options.mode ?? 0o644;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await fsp.stat(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const tmp = path.join(dir, `.${path.basename(target)}.confvault-${randomBytes(6).toString("hex")}.tmp`);
  const handle = await fsp.open(tmp, "wx", mode);
  try {
    await handle.writeFile(bytes);
    await handle.chmod(mode);
    if (owner && typeof process.getuid === "function" && process.getuid() === 0) {
      await handle.chown(owner.uid, owner.gid);
    }
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return {
    target,
    async commit() {
      try {
        await fsp.rename(tmp, target);
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw err;
      }
      await syncDir(dir);
    },
    async abort() {
      await fsp.rm(tmp, { force: true });
    },
  };
}

/**
 * Writes a file so that readers see either the old bytes or the new bytes, never a mix:
 * temp file in the same folder, fsync, rename over the target, fsync the folder.
 */
export async function writeFileAtomic(
  target: string,
  bytes: Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  await (await stageFileAtomic(target, bytes, options)).commit();
}

export async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, "r");
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Removes temp files a killed writer may have left beside a live file. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  let names: string[] = [];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (name.includes(".confvault-") && name.endsWith(".tmp")) {
      await fsp.rm(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

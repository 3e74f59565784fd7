import type * as NodeFs from "node:fs";

/**
 * The file system the engine is given: Node's `fs` module (also isomorphic-git's fs plugin
 * shape). Deno's `node:fs` satisfies it too.
 */
export type RepoFs = typeof NodeFs;

export function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

/** Random suffix for temp files (Web Crypto, available in Node, Deno and browsers). */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function pathExists(fs: RepoFs, path: string): Promise<boolean> {
  try {
    await fs.promises.access(path);
    return true;
  } catch (err) {
    if (errorCode(err) === "ENOENT" || errorCode(err) === "ENOTDIR") return false;
    throw err;
  }
}

/**
 * Makes a rename inside `dir` durable. Not every platform can open a folder for fsync
 * (Windows: EISDIR/EPERM); there the rename itself is the best we get.
 */
export async function fsyncDir(fs: RepoFs, dir: string): Promise<void> {
  let handle: NodeFs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, "r");
    await handle.sync();
  } catch (err) {
    const code = errorCode(err);
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EACCES" && code !== "EINVAL") throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` to `path` the crash-safe way: a temp file in the same folder (created
 * exclusively), fsync, rename over the final name. Readers see the old file or the whole new one.
 */
export async function writeFileAtomic(
  fs: RepoFs,
  path: string,
  data: Uint8Array | string,
  options: { durable: boolean; tempPath: string; mode?: number },
): Promise<void> {
  const handle = await fs.promises.open(options.tempPath, "wx", options.mode ?? 0o644);
  try {
    try {
      await handle.writeFile(data);
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(options.tempPath, path);
  } catch (err) {
    await fs.promises.unlink(options.tempPath).catch(() => {});
    throw err;
  }
}

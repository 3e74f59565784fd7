import type { ObjectIo } from "./object-io.ts";
import { fsyncDir, pathExists, type RepoFs, randomSuffix, writeFileAtomic } from "./repo-fs.ts";

export type ObjectType = "blob" | "tree" | "commit" | "tag";

const encoder = new TextEncoder();

/**
 * Writes loose objects the way git does, minus git's process start: hash `"<type> <len>\0" +
 * content`, skip when present, deflate, write `objects/xx/tmp_obj_*` (a name `git fsck` and
 * `git prune` know as temporary), fsync, rename to the final name. A kill at any moment leaves
 * either no object or a complete one under its final name.
 */
export class ObjectWriter {
  private readonly touchedDirs = new Set<string>();
  private readonly knownDirs = new Set<string>();
  private pending: Promise<void>[] = [];

  constructor(
    private readonly fs: RepoFs,
    private readonly gitdir: string,
    private readonly io: ObjectIo,
    private readonly durable: boolean,
  ) {}

  hash(type: ObjectType, content: Uint8Array): { oid: string; header: Uint8Array } {
    const header = encoder.encode(`${type} ${content.byteLength}\0`);
    return { oid: this.io.sha1([header, content]), header };
  }

  /**
   * Returns the oid at once (hashing is synchronous) and writes in the background, so a tree
   * can be hashed while its blobs are still being deflated and fsync'd. `flush()` waits for
   * every pending write and makes the renames durable; nothing may reference an object
   * (a ref) before its flush resolved.
   */
  write(type: ObjectType, content: Uint8Array): string {
    const { oid, header } = this.hash(type, content);
    const pending = this.store(oid, header, content);
    pending.catch(() => {}); // observed in flush(); keeps an early failure from being "unhandled"
    this.pending.push(pending);
    return oid;
  }

  private async store(oid: string, header: Uint8Array, content: Uint8Array): Promise<void> {
    const dir = `${this.gitdir}/objects/${oid.slice(0, 2)}`;
    const path = `${dir}/${oid.slice(2)}`;
    if (await pathExists(this.fs, path)) return;
    const deflated = await this.io.deflate([header, content]);
    if (!this.knownDirs.has(dir)) {
      await this.fs.promises.mkdir(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    const tempPath = `${dir}/tmp_obj_${randomSuffix()}`;
    try {
      await writeFileAtomic(this.fs, path, deflated, { durable: this.durable, tempPath, mode: 0o444 });
    } catch (err) {
      // Another writer may have renamed the same object first (Windows refuses to replace it).
      if (!(await pathExists(this.fs, path))) throw err;
    }
    this.touchedDirs.add(dir);
  }

  /** Waits for every pending write, then makes their renames durable (folder fsync). */
  async flush(): Promise<void> {
    const pending = this.pending.splice(0);
    try {
      await Promise.all(pending);
    } finally {
      await Promise.allSettled(pending);
    }
    const dirs = [...this.touchedDirs];
    this.touchedDirs.clear();
    if (this.durable) await Promise.all(dirs.map((dir) => fsyncDir(this.fs, dir)));
  }

  /** Forget cached folder knowledge (after maintenance removed empty object folders). */
  reset(): void {
    this.knownDirs.clear();
    this.touchedDirs.clear();
    this.pending = [];
  }
}

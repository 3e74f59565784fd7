import { ConfvaultError } from "../errors/confvault-error.ts";
import { failpoint } from "./failpoint.ts";
import { errorCode, fsyncDir, type RepoFs } from "./repo-fs.ts";

const OID = /^[0-9a-f]{40}$/;

/**
 * Git's "files" ref backend: loose refs under `refs/`, falling back to `packed-refs` (where
 * `git gc` moves them). Updates follow git's protocol so git and we can share the repository:
 * create `<ref>.lock` exclusively, check the old value under the lock, write + fsync the new
 * value into the lock, rename it over the ref, fsync the folder.
 */
export class RefStore {
  private packed: { key: string; refs: Map<string, string> } | null = null;

  constructor(
    private readonly fs: RepoFs,
    private readonly gitdir: string,
    private readonly durable: boolean,
    private readonly staleLockMs: number,
  ) {}

  /** Value of a ref (following symbolic refs), or null when it does not exist. */
  async read(ref: string, depth = 0): Promise<string | null> {
    if (depth > 5) return null;
    let text: string | null = null;
    try {
      text = (await this.fs.promises.readFile(`${this.gitdir}/${ref}`, "utf8")).trim();
    } catch (err) {
      const code = errorCode(err);
      if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EISDIR") throw err;
    }
    if (text !== null) {
      if (text.startsWith("ref: ")) return this.read(text.slice(5).trim(), depth + 1);
      return OID.test(text) ? text : null;
    }
    return (await this.packedRefs()).get(ref) ?? null;
  }

  /** All refs under `prefix` (e.g. "refs/tags/rp/"), loose overriding packed. */
  async list(prefix: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [name, oid] of await this.packedRefs()) if (name.startsWith(prefix)) out.set(name, oid);
    const dir = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix.slice(0, prefix.lastIndexOf("/"));
    await this.walkLoose(dir, prefix, out);
    return out;
  }

  private async walkLoose(dir: string, prefix: string, out: Map<string, string>): Promise<void> {
    let entries: NodeFsDirent[];
    try {
      entries = await this.fs.promises.readdir(`${this.gitdir}/${dir}`, { withFileTypes: true });
    } catch (err) {
      if (errorCode(err) === "ENOENT" || errorCode(err) === "ENOTDIR") return;
      throw err;
    }
    await Promise.all(
      entries.map(async (entry) => {
        const name = `${dir}/${entry.name}`;
        if (entry.isDirectory()) return this.walkLoose(name, prefix, out);
        if (!name.startsWith(prefix) || entry.name.endsWith(".lock")) return;
        const oid = await this.read(name);
        if (oid) out.set(name, oid);
      }),
    );
  }

  /** packed-refs as a map, re-read only when the file changed. */
  async packedRefs(): Promise<Map<string, string>> {
    const path = `${this.gitdir}/packed-refs`;
    let key: string;
    try {
      const st = await this.fs.promises.stat(path);
      key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if (errorCode(err) !== "ENOENT") throw err;
      this.packed = null;
      return new Map();
    }
    if (this.packed?.key === key) return this.packed.refs;
    const refs = new Map<string, string>();
    const text = await this.fs.promises.readFile(path, "utf8").catch((err) => {
      if (errorCode(err) === "ENOENT") return "";
      throw err;
    });
    for (const line of text.split("\n")) {
      if (line.length < 42 || line.startsWith("#") || line.startsWith("^")) continue;
      const oid = line.slice(0, 40);
      if (OID.test(oid) && line[40] === " ") refs.set(line.slice(41).trimEnd(), oid);
    }
    this.packed = { key, refs };
    return refs;
  }

  /**
   * Ref names that clash with `ref` as a file/folder (git refuses "a/b" next to "a"):
   * returns the existing name, or null.
   */
  async folderClash(ref: string): Promise<string | null> {
    const refs = await this.packedRefs();
    const parts = ref.split("/");
    for (let i = 2; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (refs.has(parent)) return parent;
    }
    for (const name of refs.keys()) if (name.startsWith(`${ref}/`)) return name;
    return null;
  }

  /**
   * Moves several refs together, git-transaction style: take every lock (in name order), check
   * every expected value, write + fsync every lock file, rename them in the given order, fsync
   * the folders. A failed check moves nothing. `expected`: null = must not exist, undefined =
   * anything; `onMismatch` builds the error for a failed check.
   */
  async transaction(updates: RefUpdate[]): Promise<void> {
    const locked: Array<{ update: RefUpdate; path: string; lockPath: string; handle: NodeFsFileHandle }> = [];
    const sorted = [...updates].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
    let committed = 0;
    try {
      for (const update of sorted) {
        const path = `${this.gitdir}/${update.ref}`;
        try {
          await this.fs.promises.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        } catch (err) {
          if (errorCode(err) === "ENOTDIR" || errorCode(err) === "EEXIST") throw this.clash(update.ref);
          throw err;
        }
        const lockPath = `${path}.lock`;
        locked.push({ update, path, lockPath, handle: await this.lock(lockPath, update.ref) });
      }
      for (const { update } of locked) {
        const actual = await this.read(update.ref);
        if (update.expected !== undefined && actual !== update.expected) throw update.onMismatch(actual);
        if (actual === null && (await this.folderClash(update.ref)) !== null) throw this.clash(update.ref);
      }
      await Promise.all(
        locked.map(async ({ update, handle }) => {
          await handle.writeFile(`${update.oid}\n`);
          if (this.durable) await handle.sync();
        }),
      );
      await Promise.all(locked.map(({ handle }) => handle.close()));
      const byRef = new Map(locked.map((l) => [l.update.ref, l]));
      for (const update of updates) {
        const l = byRef.get(update.ref)!;
        try {
          await this.fs.promises.rename(l.lockPath, l.path);
        } catch (err) {
          if (errorCode(err) === "EISDIR" || errorCode(err) === "ENOTEMPTY") throw this.clash(update.ref);
          throw err;
        }
        l.lockPath = "";
        committed++;
        failpoint("ref-renamed");
      }
      if (this.durable) {
        const folders = new Set(locked.map((l) => l.path.slice(0, l.path.lastIndexOf("/"))));
        await Promise.all([...folders].map((folder) => fsyncDir(this.fs, folder)));
      }
    } finally {
      if (committed < locked.length) {
        for (const l of locked) {
          await l.handle.close().catch(() => {});
          if (l.lockPath) await this.fs.promises.unlink(l.lockPath).catch(() => {});
        }
      }
    }
  }

  /**
   * Takes `<ref>.lock`. A lock older than `staleLockMs` is what a killed process left behind
   * (git holds ref locks for milliseconds), so it is broken; a younger one is waited for.
   */
  private async lock(lockPath: string, ref: string): Promise<NodeFsFileHandle> {
    const deadline = Date.now() + this.staleLockMs + 1000;
    for (;;) {
      try {
        return await this.fs.promises.open(lockPath, "wx", 0o644);
      } catch (err) {
        if (errorCode(err) !== "EEXIST") throw err;
      }
      const st = await this.fs.promises.stat(lockPath).catch(() => null);
      if (st && Date.now() - st.mtimeMs > this.staleLockMs) {
        await this.fs.promises.unlink(lockPath).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new ConfvaultError(
          "LOCKED",
          `The ref ${ref} is locked by another process (${lockPath}).`,
          "Wait for the other git/confvault process to finish; if none is running, delete the .lock file.",
          { ref, lockPath },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private clash(ref: string): ConfvaultError {
    return new ConfvaultError(
      "CONFLICT",
      `Cannot create ${ref}: an existing ref uses it as a folder or a file.`,
      "Pick a name that is neither a prefix folder of an existing name nor below one.",
      { ref },
    );
  }
}

export interface RefUpdate {
  ref: string;
  oid: string;
  expected: string | null | undefined;
  onMismatch: (actual: string | null) => ConfvaultError;
}

type NodeFsDirent = import("node:fs").Dirent;
type NodeFsFileHandle = import("node:fs").promises.FileHandle;

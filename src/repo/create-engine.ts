import { ConfvaultError } from "../errors/confvault-error.ts";
import type {
  CommitFilesOptions,
  CommitInfo,
  Person,
  RepoEngine,
  SignedObject,
  SignPayload,
  TagInfo,
  TrashedTag,
} from "./engine.ts";
import { createFileCache } from "./file-cache.ts";
import type { GitCli } from "./git-cli.ts";
import {
  assertPerson,
  formatCommit,
  formatTag,
  splitCommitSignature,
  splitTagSignature,
} from "./git-objects.ts";
import { initBareRepo } from "./init-bare.ts";
import { countObjects } from "./maintenance.ts";
import { createNodeObjectIo } from "./node-object-io.ts";
import type { ObjectIo } from "./object-io.ts";
import { ObjectReader } from "./object-reader.ts";
import { ObjectWriter } from "./object-writer.ts";
import { assertRefFormat, refFormatProblem } from "./ref-name.ts";
import { RefStore, type RefUpdate } from "./ref-store.ts";
import type { RepoFs } from "./repo-fs.ts";
import { resolveRevision } from "./resolve-revision.ts";
import { createTagIndex } from "./tag-index.ts";
import { compareTagsNewestFirst } from "./tag-order.ts";
import { writeTrees } from "./write-trees.ts";

/** Restore points removed by prune, kept for `retention.trashDays`: `<prefix><unix seconds>/<tag name>`. */
export const TRASH_PREFIX = "refs/confvault/trash/";

export interface CreateRepoEngineOptions {
  /** Folder of the bare repository (e.g. `<home>/repo.git`). */
  gitdir: string;
  /** Node's `fs` module (isomorphic-git's fs plugin shape). */
  fs: RepoFs;
  /** git CLI runner bound to the same gitdir (maintenance, fsck, tag deletion). */
  git: GitCli;
  /** SHA-1 and deflate; Node's by default. */
  io?: ObjectIo;
  /** fsync files and folders before a ref may point at them (default true). */
  durable?: boolean;
  /** Age after which a leftover `<ref>.lock` counts as abandoned by a killed process (default 2 s). */
  staleLockMs?: number;
  /** Signs every commit and tag the engine writes unless a call passes its own `sign`. */
  sign?: SignPayload;
}

const FULL_OID = /^[0-9a-f]{40}$/;
const REF_HINT =
  "Give a branch ('main'), a restore point ('rp/…', see `confvault log`), a full ref ('refs/…') or a commit id (at least 4 hex digits).";

/**
 * The engine over a bare repository: commits and tags are written as loose objects directly
 * (hash, deflate level 1, temp file + fsync + rename, objects before refs), reads go through
 * isomorphic-git with a long-lived cache, gc and fsck through the git CLI.
 */
export function createRepoEngine({
  gitdir,
  fs,
  git,
  io = createNodeObjectIo(),
  durable = true,
  staleLockMs = 2000,
  sign: defaultSign,
}: CreateRepoEngineOptions): RepoEngine {
  const writer = new ObjectWriter(fs, gitdir, io, durable);
  const reader = new ObjectReader(fs, gitdir);
  const refs = new RefStore(fs, gitdir, durable, staleLockMs);
  // Restore points listed from `<gitdir>/confvault/tag-index`, checked against the refs.
  const tagIndex = createTagIndex({ fs, gitdir, refs, readTag: (name, oid) => reader.readTag(name, oid) });
  // Writes and maintenance run one at a time: gc --prune=now must never see half a commit.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  async function resolveCommit(ref: string): Promise<string> {
    return resolveRevision(ref, {
      readRef: (name) => refs.read(name),
      peelToCommit: (oid) => reader.peelToCommit(oid),
      readCommit: (oid) => reader.readCommit(oid),
      expandPrefix: (prefix) => reader.expandPrefix(prefix),
      listTags: () => listTags("rp/"),
    });
  }

  async function commitFiles({
    branch,
    files,
    message,
    author,
    expectedParent,
    tag,
    sign = defaultSign,
    beforeRefs,
  }: CommitFilesOptions) {
    const ref = assertRefFormat(`refs/heads/${branch}`);
    assertPerson(author, "author");
    if (typeof message !== "string") throw new ConfvaultError("BAD_INPUT", "A commit needs a message.");
    const tagRef = tag ? assertRefFormat(`refs/tags/${tag.name}`) : null;
    const tagger = tag?.tagger ?? author;
    if (tag) assertPerson(tagger, "tagger");
    const mismatch = (actual: string | null) =>
      new ConfvaultError(
        "CONFLICT",
        `Branch ${branch} moved: expected ${expectedParent ?? "no branch"}, found ${actual ?? "no branch"}.`,
        "Someone else committed first; re-read the branch and retry on top of it.",
        { branch, expected: expectedParent, actual },
      );
    return exclusive(async () => {
      // Cheap early checks so a stale caller writes nothing; the binding checks run under the locks.
      const before = await refs.read(ref);
      if (before !== expectedParent) throw mismatch(before);
      if (tag && tagRef && (await refs.read(tagRef)) !== null) throw tagExists(tag.name);
      const tree = writeTrees(writer, files);
      const parents = expectedParent ? [expectedParent] : [];
      const commitArgs = { tree, parents, author, committer: author, message };
      const commit = writer.write("commit", await signed(formatCommit, commitArgs, sign));
      const updates: RefUpdate[] = [];
      // The tag ref is renamed into place before the branch: a kill between the two leaves a tag
      // off main (removed by the next command's repair), never a tip without its restore point.
      if (tag && tagRef) {
        const tagArgs = { object: commit, name: tag.name, tagger, message: tag.message };
        const oid = writer.write("tag", await signed(formatTag, tagArgs, sign));
        updates.push({ ref: tagRef, oid, expected: null, onMismatch: () => tagExists(tag.name) });
      }
      updates.push({ ref, oid: commit, expected: expectedParent, onMismatch: mismatch });
      await writer.flush();
      await beforeRefs?.({ commit, ...(tag ? { tag: tag.name } : {}) });
      await refs.transaction(updates);
      for (const [path, bytes] of Object.entries(files)) fileCache.set(commit, path, bytes);
      return commit;
    });
  }

  async function createTag({
    name,
    commit,
    message,
    tagger,
    sign = defaultSign,
  }: {
    name: string;
    commit: string;
    message: string;
    tagger: Person;
    sign?: SignPayload;
  }): Promise<string> {
    const ref = assertRefFormat(`refs/tags/${name}`);
    assertPerson(tagger, "tagger");
    return exclusive(async () => {
      const target = await resolveCommit(commit);
      if ((await refs.read(ref)) !== null) throw tagExists(name);
      const oid = writer.write(
        "tag",
        await signed(formatTag, { object: target, name, tagger, message }, sign),
      );
      await writer.flush();
      await refs.transaction([{ ref, oid, expected: null, onMismatch: () => tagExists(name) }]);
      await tagIndex.created(name, oid);
      return oid;
    });
  }

  async function deleteTag(name: string): Promise<void> {
    const ref = assertRefFormat(`refs/tags/${name}`);
    await exclusive(async () => {
      const oid = await refs.read(ref);
      if (oid === null) {
        throw new ConfvaultError("REF_NOT_FOUND", `Tag ${name} does not exist.`, REF_HINT, { ref: name });
      }
      // The CLI handles a tag that lives in packed-refs (rewriting packed-refs under its lock).
      await git.run(["update-ref", "-d", ref, oid]);
      await tagIndex.deleted([name]);
    });
  }

  /** Deletes many tags in one `git update-ref --stdin` transaction (all or none). */
  async function deleteTags(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const refsToDelete = names.map((name) => assertRefFormat(`refs/tags/${name}`));
    await exclusive(async () => {
      const lines: string[] = [];
      for (const ref of refsToDelete) {
        const oid = await refs.read(ref);
        if (oid === null) {
          throw new ConfvaultError("REF_NOT_FOUND", `Tag ${ref.slice(10)} does not exist.`, REF_HINT, {
            ref,
          });
        }
        lines.push(`delete ${ref} ${oid}`);
      }
      await git.run(["update-ref", "--stdin"], { input: `${lines.join("\n")}\n` });
      await tagIndex.deleted(names);
    });
  }

  async function trashTags(names: readonly string[], deletedAt: Date): Promise<void> {
    if (names.length === 0) return;
    const stamp = Math.floor(deletedAt.getTime() / 1000);
    await exclusive(async () => {
      const lines: string[] = [];
      for (const name of names) {
        const ref = assertRefFormat(`refs/tags/${name}`);
        const oid = await refs.read(ref);
        if (oid === null) {
          throw new ConfvaultError("REF_NOT_FOUND", `Tag ${name} does not exist.`, REF_HINT, { ref });
        }
        lines.push(
          `create ${assertRefFormat(`${TRASH_PREFIX}${stamp}/${name}`)} ${oid}`,
          `delete ${ref} ${oid}`,
        );
      }
      await git.run(["update-ref", "--stdin"], { input: `${lines.join("\n")}\n` });
      await tagIndex.deleted(names);
    });
  }

  async function listTrash(): Promise<TrashedTag[]> {
    const found = await refs.list(TRASH_PREFIX);
    const out: TrashedTag[] = [];
    for (const [trashRef, oid] of found) {
      const rest = trashRef.slice(TRASH_PREFIX.length);
      const slash = rest.indexOf("/");
      const stamp = Number(rest.slice(0, slash));
      if (slash < 0 || !Number.isFinite(stamp)) continue;
      const tag = await reader.readTag(rest.slice(slash + 1), oid);
      if (tag) out.push({ ...tag, trashRef, deletedAt: new Date(stamp * 1000).toISOString() });
    }
    return out.sort((a, b) => b.deletedAt.localeCompare(a.deletedAt) || compareTagsNewestFirst(a, b));
  }

  async function untrashTag(entry: TrashedTag): Promise<void> {
    const ref = assertRefFormat(`refs/tags/${entry.name}`);
    await exclusive(async () => {
      if ((await refs.read(ref)) !== null) throw tagExists(entry.name);
      await git.run(["update-ref", "--stdin"], {
        input: `create ${ref} ${entry.oid}\ndelete ${entry.trashRef} ${entry.oid}\n`,
      });
      await tagIndex.created(entry.name, entry.oid);
    });
  }

  async function expireTrash(entries: readonly TrashedTag[]): Promise<void> {
    if (entries.length === 0) return;
    await exclusive(async () => {
      const input = entries.map((e) => `delete ${e.trashRef} ${e.oid}`).join("\n");
      await git.run(["update-ref", "--stdin"], { input: `${input}\n` });
    });
  }

  /** Newest first (tag-order.ts), `limit` applied after ordering; no tag object read once indexed. */
  function listTags(prefix = "rp/", options: { limit?: number } = {}): Promise<TagInfo[]> {
    return tagIndex.list(prefix, options.limit);
  }

  async function log({ ref, depth }: { ref: string; depth?: number }): Promise<CommitInfo[]> {
    const out: CommitInfo[] = [];
    let next: string | undefined = await resolveCommit(ref);
    while (next !== undefined && (depth === undefined || out.length < depth)) {
      const commit = await reader.readCommit(next);
      out.push(commit);
      next = commit.parents[0];
    }
    return out;
  }

  // Files of a commit never change: the files just committed (the next apply's parent) and
  // recent reads are served from memory instead of inflating commit, tree and blob again.
  const fileCache = createFileCache(64 * 1024 * 1024);
  const toCommit = (commit: string) =>
    FULL_OID.test(commit) ? Promise.resolve(commit) : resolveCommit(commit);

  return {
    gitdir,
    init: () => initBareRepo(fs, gitdir, git, durable),
    resolveCommit,
    async branchTip(branch) {
      const ref = `refs/heads/${branch}`;
      if (refFormatProblem(ref) !== null) return null;
      return refs.read(ref);
    },
    commitFiles,
    async moveBranch({ branch, to, expected }) {
      const ref = assertRefFormat(`refs/heads/${branch}`);
      await exclusive(async () => {
        const moved = (actual: string | null) =>
          new ConfvaultError(
            "CONFLICT",
            `Branch ${branch} moved: expected ${expected}, found ${actual ?? "no branch"}.`,
          );
        if (to === null) {
          if ((await refs.read(ref)) !== expected) throw moved(await refs.read(ref));
          await git.run(["update-ref", "-d", ref, expected]);
          return;
        }
        await refs.transaction([{ ref, oid: to, expected, onMismatch: moved }]);
      });
    },
    createTag,
    deleteTag,
    deleteTags,
    trashTags,
    listTrash,
    untrashTag,
    expireTrash,
    listTags,
    readCommit: async (oid) => reader.readCommit(await toCommit(oid)),
    async readSigned(oid): Promise<SignedObject> {
      const { type, content } = await reader.readRaw(oid);
      if (type === "commit") return { type, ...splitCommitSignature(content) };
      if (type === "tag") return { type, ...splitTagSignature(content) };
      throw new ConfvaultError("NOT_FOUND", `Object ${oid} is a ${type}, not a commit or tag.`, REF_HINT, {
        oid,
        type,
      });
    },
    log,
    async readFile(commit, path) {
      const oid = await toCommit(commit);
      const hit = fileCache.get(oid, path);
      if (hit) return hit;
      const bytes = await reader.readFile(oid, path);
      fileCache.set(oid, path, bytes);
      return bytes;
    },
    listFiles: async (commit) => reader.listFiles(await toCommit(commit)),
    maintenance: () =>
      exclusive(async () => {
        const before = await countObjects(git);
        await git.run(["gc", "--prune=now", "--quiet"]);
        const after = await countObjects(git);
        reader.reset();
        writer.reset();
        return {
          looseBefore: before.looseCount,
          looseAfter: after.looseCount,
          sizeBefore: before.totalBytes,
          sizeAfter: after.totalBytes,
        };
      }),
    async fsck() {
      const result = await git.run(["fsck", "--strict", "--no-progress"], { allowFailure: true });
      const output = `${result.stdout}${result.stderr}`.trim();
      if (result.exitCode !== 0) {
        throw new ConfvaultError(
          "VERIFY_FAILED",
          `git fsck found problems in ${gitdir}:\n${output}`,
          "Restore the repository from a remote copy (`confvault recover`), or inspect it with `git fsck --full`.",
          { output, exitCode: result.exitCode },
        );
      }
      return output;
    },
  };
}

/** The object bytes, signed when a signer is given: the signature covers the unsigned bytes. */
async function signed<A extends object>(
  format: (args: A & { signature?: string }) => Uint8Array,
  args: A,
  sign: SignPayload | undefined,
): Promise<Uint8Array> {
  const unsigned = format(args);
  return sign ? format({ ...args, signature: await sign(unsigned) }) : unsigned;
}

function tagExists(name: string): ConfvaultError {
  return new ConfvaultError(
    "TAG_EXISTS",
    `Tag ${name} already exists.`,
    "Restore point names are unique; choose another name or omit it to get an automatic one.",
    { name },
  );
}

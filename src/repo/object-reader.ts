type IsoGit = typeof import("isomorphic-git").default;

import { ConfvaultError } from "../errors/confvault-error.ts";
import type { CommitInfo, Person, TagInfo } from "./engine.ts";
import { stripTagSignature } from "./git-objects.ts";
import type { RepoFs } from "./repo-fs.ts";
import { tagSequence } from "./tag-order.ts";

/**
 * Reads through isomorphic-git with one long-lived `cache` object: it keeps parsed pack
 * indexes and loaded packs between calls, which is what keeps reads on a packed repository
 * fast (without it every read re-loads and re-verifies the pack).
 */
export class ObjectReader {
  private cache: object = {};
  // Loaded on the first read: listing restore points from the tag index needs no object, and
  // isomorphic-git is the largest module a read-only command would otherwise compile.
  private lib: Promise<IsoGit> | null = null;

  constructor(
    private readonly fs: RepoFs,
    private readonly gitdir: string,
  ) {}

  /** Drops cached packs (after maintenance replaced them). */
  reset(): void {
    this.cache = {};
  }

  private git(): Promise<IsoGit> {
    this.lib ??= import("isomorphic-git").then((m) => m.default);
    return this.lib;
  }

  private get args() {
    return { fs: this.fs, gitdir: this.gitdir, cache: this.cache };
  }

  /** The commit an oid names, peeling annotated tags; null when absent or not a commit. */
  async peelToCommit(oid: string): Promise<string | null> {
    try {
      return (await (await this.git()).readCommit({ ...this.args, oid })).oid;
    } catch (err) {
      if (isGitError(err, "NotFoundError") || isGitError(err, "ObjectTypeError")) return null;
      throw wrap(err, `reading ${oid}`);
    }
  }

  /** Full oid for a unique hex prefix; null when none; AMBIGUOUS list when several. */
  async expandPrefix(prefix: string): Promise<{ oid: string } | { ambiguous: string[] } | null> {
    try {
      return { oid: await (await this.git()).expandOid({ ...this.args, oid: prefix }) };
    } catch (err) {
      if (isGitError(err, "NotFoundError")) return null;
      if (isGitError(err, "AmbiguousError")) {
        const data = (err as { data?: { matches?: string[] } }).data;
        return { ambiguous: data?.matches ?? [] };
      }
      throw wrap(err, `expanding ${prefix}`);
    }
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    try {
      const { oid: commitOid, commit } = await (await this.git()).readCommit({ ...this.args, oid });
      return {
        oid: commitOid,
        parents: commit.parent,
        tree: commit.tree,
        message: commit.message,
        author: person(commit.author),
        committer: person(commit.committer),
      };
    } catch (err) {
      throw notFoundOr(err, `Commit ${oid} was not found.`, oid);
    }
  }

  /** An annotated tag, or null when `oid` is not a tag object (a lightweight tag). */
  async readTag(name: string, oid: string): Promise<TagInfo | null> {
    try {
      const { tag } = await (await this.git()).readTag({ ...this.args, oid });
      if (tag.type !== "commit") return null;
      const message = stripTagSignature(tag.message);
      return {
        name,
        oid,
        commit: tag.object,
        message,
        tagger: person(tag.tagger),
        sequence: tagSequence(message),
      };
    } catch (err) {
      if (isGitError(err, "ObjectTypeError")) return null;
      throw notFoundOr(err, `Tag object ${oid} (${name}) was not found.`, oid);
    }
  }

  /** Type and raw content of an object (for signature checks). */
  async readRaw(oid: string): Promise<{ type: string; content: Uint8Array }> {
    try {
      const { type, object } = await (await this.git()).readObject({ ...this.args, oid, format: "content" });
      return { type, content: object as Uint8Array };
    } catch (err) {
      throw notFoundOr(err, `Object ${oid} was not found.`, oid);
    }
  }

  async readFile(commit: string, path: string): Promise<Uint8Array> {
    try {
      const { blob } = await (await this.git()).readBlob({ ...this.args, oid: commit, filepath: path });
      return blob;
    } catch (err) {
      throw notFoundOr(err, `No file '${path}' in commit ${commit}.`, commit, path);
    }
  }

  async listFiles(commit: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (oid: string, prefix: string): Promise<void> => {
      const { tree } = await (await this.git()).readTree({ ...this.args, oid });
      for (const entry of tree) {
        if (entry.type === "tree") await walk(entry.oid, `${prefix}${entry.path}/`);
        else if (entry.type === "blob") out.push(`${prefix}${entry.path}`);
      }
    };
    try {
      await walk(commit, "");
    } catch (err) {
      throw notFoundOr(err, `Commit ${commit} was not found.`, commit);
    }
    return out;
  }
}

function person(p: { name: string; email: string; timestamp: number; timezoneOffset: number }): Person {
  return { name: p.name, email: p.email, timestamp: p.timestamp, timezoneOffset: p.timezoneOffset };
}

function isGitError(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

function notFoundOr(err: unknown, message: string, oid: string, path?: string): ConfvaultError {
  if (isGitError(err, "NotFoundError") || isGitError(err, "ObjectTypeError")) {
    return new ConfvaultError(
      "NOT_FOUND",
      message,
      "Check the commit or restore point with `confvault log`; file names are case-sensitive.",
      path === undefined ? { oid } : { oid, path },
      err,
    );
  }
  return wrap(err, message);
}

/** isomorphic-git's own words (with its "please file an issue" text) stay out of what users read. */
function plainMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const sha = /SHA check failed! Expected ([0-9a-f]{40}), computed ([0-9a-f]{40})/.exec(raw);
  if (sha) return `object ${sha[1]} is corrupt (its content hashes to ${sha[2]})`;
  const firstLine = raw.split("\n")[0] ?? raw;
  return firstLine.replace(/\s*If you're .*$/s, "").trim();
}

function wrap(err: unknown, what: string): ConfvaultError {
  if (err instanceof ConfvaultError) return err;
  const message = plainMessage(err);
  return new ConfvaultError(
    "GIT_FAILED",
    `Reading the repository failed (${what}): ${message}`,
    "Run `confvault verify` (git fsck) to check the repository.",
    {},
    err,
  );
}

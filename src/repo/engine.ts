/**
 * The git engine behind one small interface. isomorphic-git (in process) and direct object
 * writes do commits, tags and reads; the git CLI does what isomorphic-git lacks (gc, fsck,
 * delta pushes, ssh). Callers never import either library directly.
 */
export interface Person {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /**
   * Minutes WEST of UTC, as isomorphic-git and JS `Date#getTimezoneOffset()` count them
   * (0 for UTC, -60 for git's "+0100").
   */
  timezoneOffset?: number;
}

export interface CommitInfo {
  oid: string;
  parents: string[];
  tree: string;
  message: string;
  author: Person;
  committer: Person;
}

export interface TagInfo {
  /** Full tag name without "refs/tags/" (e.g. "rp/20261122T004200Z-1"). */
  name: string;
  /** Oid of the annotated tag object. */
  oid: string;
  /** The commit the tag points at. */
  commit: string;
  message: string;
  tagger: Person;
  /** The `Confvault-Sequence:` trailer of the message; 0 when absent (foreign or old tags). */
  sequence: number;
}

/**
 * Signs an object for git: gets the exact bytes git verifies (a commit without its `gpgsig`
 * header, a tag before its signature) and returns an armored signature, e.g. an SSHSIG
 * (`-----BEGIN SSH SIGNATURE-----…`) that `git verify-commit` / `git verify-tag` check with
 * `gpg.format=ssh`.
 */
export interface TrashedTag extends TagInfo {
  /** The ref under refs/confvault/trash/. */
  trashRef: string;
  /** ISO-8601 UTC time of the deletion. */
  deletedAt: string;
}

export type SignPayload = (payload: Uint8Array) => Promise<string>;

/** A commit or tag object as git verifies it: the signed bytes and the signature (null: unsigned). */
export interface SignedObject {
  type: "commit" | "tag";
  payload: Uint8Array;
  signature: string | null;
}

export interface CommitFilesOptions {
  /** Branch to advance (short name, e.g. "main"). */
  branch: string;
  /** Complete set of files of the new tree (flat paths, no folders needed). */
  files: Record<string, Uint8Array>;
  message: string;
  author: Person;
  /** Expected current tip of the branch (null: branch must not exist). Mismatch → CONFLICT. */
  expectedParent: string | null;
  /**
   * Optional annotated tag on the new commit, written in the same transaction: the tag name is
   * checked (TAG_EXISTS) before anything moves, and one fsync round covers both. Tagger
   * defaults to the author.
   */
  tag?: { name: string; message: string; tagger?: Person };
  /** Signs the commit (and the tag) in git's format; default: the engine's `sign`, if any. */
  sign?: SignPayload;
  /**
   * Runs after every object is written and before any ref moves (the change journal is written
   * here, so a kill between the two ref renames can be told apart and finished).
   */
  beforeRefs?: (made: { commit: string; tag?: string }) => Promise<void>;
}

export interface RepoEngine {
  /** Folder of the bare repository. */
  readonly gitdir: string;
  /** Creates the bare repository if missing (idempotent). */
  init(): Promise<void>;
  /** Resolves a branch, tag (annotated tags peeled to their commit), or commit id prefix to a commit oid. */
  resolveCommit(ref: string): Promise<string>;
  /** Tip of a branch, or null when the branch does not exist yet. */
  branchTip(branch: string): Promise<string | null>;
  /** Writes blobs, tree and commit, then moves the branch atomically. Returns the commit oid. */
  commitFiles(options: CommitFilesOptions): Promise<string>;
  /** Creates an annotated tag object and its ref; refuses an existing name (TAG_EXISTS). */
  createTag(options: {
    name: string;
    commit: string;
    message: string;
    tagger: Person;
    /** Signs the tag (`git tag -s`); default: the engine's `sign`, if any. */
    sign?: SignPayload;
  }): Promise<string>;
  /**
   * Moves a branch from `expected` to `to` (null deletes it), compare-and-swap; CONFLICT when it
   * is elsewhere. Used to undo a restore point whose live files could not be written.
   */
  moveBranch(options: { branch: string; to: string | null; expected: string }): Promise<void>;
  /** Deletes a tag ref (the tag object stays until gc). */
  deleteTag(name: string): Promise<void>;
  /** Deletes many tag refs in one transaction. */
  deleteTags(names: readonly string[]): Promise<void>;
  /**
   * Moves tags to the trash namespace `refs/confvault/trash/<deleted-at unix seconds>/<name>` in
   * one transaction (the tag objects stay referenced, so gc keeps them until the trash expires).
   */
  trashTags(names: readonly string[], deletedAt: Date): Promise<void>;
  /** What the trash holds, newest deletion first. */
  listTrash(): Promise<TrashedTag[]>;
  /** Puts a trashed tag back under refs/tags/<name>; TAG_EXISTS when that name is taken. */
  untrashTag(entry: TrashedTag): Promise<void>;
  /** Drops trash entries for good (their objects go with the next gc). */
  expireTrash(entries: readonly TrashedTag[]): Promise<void>;
  /**
   * Annotated tags under a prefix (default "rp/"), newest first (sequence, time, name: see
   * tag-order.ts), at most `limit` (applied after ordering). Served from a tag index checked
   * against the refs, so a listing reads no tag object once the index is warm.
   */
  listTags(prefix?: string, options?: { limit?: number }): Promise<TagInfo[]>;
  readCommit(oid: string): Promise<CommitInfo>;
  /** A commit or tag object (by full oid) split into what its signature covers and the signature. */
  readSigned(oid: string): Promise<SignedObject>;
  /** First-parent history from a commit, newest first. */
  log(options: { ref: string; depth?: number }): Promise<CommitInfo[]>;
  /** Bytes of a file at a commit; NOT_FOUND when absent. */
  readFile(commit: string, path: string): Promise<Uint8Array>;
  /** Names of the files in a commit's tree. */
  listFiles(commit: string): Promise<string[]>;
  /** Packs loose objects and prunes (git gc through the CLI). */
  maintenance(): Promise<{ looseBefore: number; looseAfter: number; sizeBefore: number; sizeAfter: number }>;
  /** Runs `git fsck --strict`; returns its output; throws VERIFY_FAILED on errors. */
  fsck(): Promise<string>;
}

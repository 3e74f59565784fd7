import type { Person, TagInfo } from "./engine.ts";
import type { RefStore } from "./ref-store.ts";
import { errorCode, type RepoFs, randomSuffix, writeFileAtomic } from "./repo-fs.ts";
import { compareTagsNewestFirst } from "./tag-order.ts";

/** Where the index lives, relative to the gitdir (git ignores unknown folders there). */
export const TAG_INDEX_FILE = "confvault/tag-index";
const VERSION = 1;

/**
 * One row per tag ref: `[name, ref oid]` for a ref that is not an annotated tag of a commit,
 * else `[name, tag oid, commit, sequence, tagger name, email, timestamp, tz offset, message]`.
 */
type Row =
  | [string, string]
  | [string, string, string, number, string, string, number, number | undefined, string];

interface Entry {
  oid: string;
  tag: TagInfo | null;
}

export interface TagIndexOptions {
  fs: RepoFs;
  gitdir: string;
  refs: RefStore;
  /** Reads one tag object (null: not an annotated tag of a commit). */
  readTag: (name: string, oid: string) => Promise<TagInfo | null>;
}

export interface TagIndex {
  /**
   * Tags under `prefix`, newest first (tag-order.ts), at most `limit`. The refs are read once
   * (packed-refs + loose); each ref whose index entry is missing or names another object is
   * read from its tag object and the index file rewritten. Without changes to the refs (a
   * stamp of packed-refs and the loose folders) a long-lived process answers from memory.
   */
  list(prefix: string, limit?: number): Promise<TagInfo[]>;
  /** Records a tag the engine just created (its ref already points at `oid`). */
  created(name: string, oid: string): Promise<void>;
  /** Forgets tags the engine just deleted. */
  deleted(names: readonly string[]): Promise<void>;
}

/**
 * A small index beside the repository (`<gitdir>/confvault/tag-index`): tag name → tag oid,
 * commit, sequence, tagger and message, so listing restore points reads no tag object once the
 * index is warm. It is only a cache: every entry is checked against the ref's current oid, a
 * damaged or foreign file is rebuilt, and a failed write (read-only repository) is ignored.
 */
export function createTagIndex({ fs, gitdir, refs, readTag }: TagIndexOptions): TagIndex {
  const path = `${gitdir}/${TAG_INDEX_FILE}`;
  let entries: Map<string, Entry> | null = null;
  let fileKey: string | null = null;
  let generation = 0;
  let memo: { prefix: string; stamp: string; generation: number; ordered: TagInfo[] } | null = null;

  async function statKey(): Promise<string | null> {
    try {
      const st = await fs.promises.stat(path);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if (errorCode(err) === "ENOENT" || errorCode(err) === "ENOTDIR") return null;
      throw err;
    }
  }

  async function load(): Promise<Map<string, Entry>> {
    const key = await statKey().catch(() => null);
    if (entries && key === fileKey) return entries;
    let text = "";
    if (key !== null) text = await fs.promises.readFile(path, "utf8").catch(() => "");
    entries = parse(text);
    fileKey = key;
    return entries;
  }

  async function save(map: Map<string, Entry>): Promise<void> {
    const rows: Row[] = [];
    for (const [name, { oid, tag }] of map) rows.push(toRow(name, oid, tag));
    const text = `${JSON.stringify({ version: VERSION, tags: rows })}\n`;
    try {
      await fs.promises.mkdir(`${gitdir}/confvault`, { recursive: true });
      // A cache: no fsync. A torn or lost file is rebuilt from the refs and tag objects.
      await writeFileAtomic(fs, path, text, { durable: false, tempPath: `${path}.${randomSuffix()}.tmp` });
      fileKey = await statKey();
    } catch {
      fileKey = null; // read-only or full disk: keep answering from memory and the objects
    }
  }

  async function resolve(prefix: string): Promise<{ tags: TagInfo[]; stamp: string | null }> {
    const { refs: found, stamp } = await refs.listStamped(`refs/tags/${prefix}`);
    const map = await load();
    let dirty = false;
    const missing: Array<[string, string]> = [];
    const out: TagInfo[] = [];
    for (const [full, oid] of found) {
      const name = full.slice("refs/tags/".length);
      const entry = map.get(name);
      if (entry && entry.oid === oid) {
        if (entry.tag) out.push(entry.tag);
      } else missing.push([name, oid]);
    }
    for (const name of map.keys()) {
      if (name.startsWith(prefix) && !found.has(`refs/tags/${name}`)) {
        map.delete(name);
        dirty = true;
      }
    }
    const read = await mapLimit(missing, 16, ([name, oid]) => readTag(name, oid));
    missing.forEach(([name, oid], i) => {
      const tag = read[i] ?? null;
      map.set(name, { oid, tag });
      if (tag) out.push(tag);
      dirty = true;
    });
    if (dirty) await save(map);
    return { tags: out, stamp };
  }

  return {
    async list(prefix, limit) {
      const current = await refs.stamp(`refs/tags/${prefix}`);
      let ordered: TagInfo[];
      if (
        current !== null &&
        memo?.prefix === prefix &&
        memo.stamp === current &&
        memo.generation === generation
      ) {
        ordered = memo.ordered;
      } else {
        const seen = generation;
        const resolved = await resolve(prefix);
        ordered = resolved.tags.sort(compareTagsNewestFirst);
        // Keyed by what the refs looked like before they were read (RefStore.listStamped).
        memo = resolved.stamp === null ? null : { prefix, stamp: resolved.stamp, generation: seen, ordered };
      }
      return ordered.slice(0, limit === undefined ? ordered.length : Math.max(0, limit));
    },
    // Best effort: the ref is already moved; a failure here only leaves work for the next list.
    async created(name, oid) {
      generation++;
      try {
        const map = await load();
        map.set(name, { oid, tag: await readTag(name, oid) });
        await save(map);
      } catch {
        entries = null;
      }
    },
    async deleted(names) {
      generation++;
      try {
        const map = await load();
        let dirty = false;
        for (const name of names) dirty = map.delete(name) || dirty;
        if (dirty) await save(map);
      } catch {
        entries = null;
      }
    },
  };
}

function toRow(name: string, oid: string, tag: TagInfo | null): Row {
  if (!tag) return [name, oid];
  const t = tag.tagger;
  return [name, oid, tag.commit, tag.sequence, t.name, t.email, t.timestamp, t.timezoneOffset, tag.message];
}

function parse(text: string): Map<string, Entry> {
  const map = new Map<string, Entry>();
  if (text === "") return map;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return map; // torn or foreign: rebuilt from the objects
  }
  const rows = (doc as { version?: unknown; tags?: unknown }).tags;
  if ((doc as { version?: unknown }).version !== VERSION || !Array.isArray(rows)) return map;
  for (const row of rows) {
    const entry = fromRow(row);
    if (entry) map.set(entry[0], entry[1]);
  }
  return map;
}

const OID = /^[0-9a-f]{40}$/;

function fromRow(row: unknown): [string, Entry] | null {
  if (!Array.isArray(row) || typeof row[0] !== "string" || typeof row[1] !== "string" || !OID.test(row[1]))
    return null;
  const [name, oid] = row as [string, string];
  if (row.length === 2) return [name, { oid, tag: null }];
  const [, , commit, sequence, taggerName, email, timestamp, tz, message] = row as unknown[];
  if (
    typeof commit !== "string" ||
    !OID.test(commit) ||
    typeof sequence !== "number" ||
    typeof taggerName !== "string" ||
    typeof email !== "string" ||
    typeof timestamp !== "number" ||
    (tz !== undefined && tz !== null && typeof tz !== "number") ||
    typeof message !== "string"
  )
    return null;
  const tagger: Person = { name: taggerName, email, timestamp };
  if (typeof tz === "number") tagger.timezoneOffset = tz;
  return [name, { oid, tag: { name, oid, commit, message, tagger, sequence } }];
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

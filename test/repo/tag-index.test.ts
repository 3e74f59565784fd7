import fs from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import type { Person, RepoEngine, TagInfo } from "../../src/repo/engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { ObjectReader } from "../../src/repo/object-reader.ts";
import { RefStore } from "../../src/repo/ref-store.ts";
import { createTagIndex, TAG_INDEX_FILE } from "../../src/repo/tag-index.ts";
import { compareTagsNewestFirst } from "../../src/repo/tag-order.ts";
import { gitText, gitTry, tempDir } from "../helpers/git-cli.ts";

const enc = new TextEncoder();
const alice: Person = { name: "Alice Admin", email: "alice@example.invalid", timestamp: 1_790_000_000 };

interface Fixture {
  engine: RepoEngine;
  gitdir: string;
  commit: string;
  cleanup: () => void;
}

/** A repository with `n` restore points made the way apply makes them (commit + tag in one go). */
async function withPoints(n: number): Promise<Fixture> {
  const dir = tempDir("confvault-tag-index-");
  const gitdir = `${dir.path}/repo.git`;
  const engine = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }), durable: false });
  await engine.init();
  let parent: string | null = null;
  for (let i = 1; i <= n; i++) {
    // Sequence and names disagree on purpose: time repeats, names sort 9 < 10 numerically.
    parent = await engine.commitFiles({
      branch: "main",
      files: { "config.xml": enc.encode(`<a>${i}</a>`) },
      message: `apply ${i}`,
      author: { ...alice, timestamp: alice.timestamp + Math.floor(i / 3) },
      expectedParent: parent,
      tag: {
        name: `rp/20261203T000000Z-${i}`,
        message: `apply ${i}\n\nConfvault-Reason: change ${i}\nConfvault-Sequence: ${(i * 7) % (n + 1)}\n`,
      },
    });
  }
  return { engine, gitdir, commit: parent!, cleanup: dir.cleanup };
}

/** An index over the same gitdir, as a fresh process would open it, counting tag-object reads. */
function freshIndex(gitdir: string) {
  const reader = new ObjectReader(fs, gitdir);
  const refs = new RefStore(fs, gitdir, false, 2000);
  const counts = { objects: 0, refLists: 0 };
  const list = refs.listStamped.bind(refs);
  refs.listStamped = (prefix: string) => {
    counts.refLists++;
    return list(prefix);
  };
  const index = createTagIndex({
    fs,
    gitdir,
    refs,
    readTag: (name, oid) => {
      counts.objects++;
      return reader.readTag(name, oid);
    },
  });
  return { index, counts };
}

/** What listing by reading every tag object gives (the old way): the reference order. */
async function reference(gitdir: string, prefix = "rp/"): Promise<TagInfo[]> {
  const reader = new ObjectReader(fs, gitdir);
  const refs = await new RefStore(fs, gitdir, false, 2000).list(`refs/tags/${prefix}`);
  const out: TagInfo[] = [];
  for (const [full, oid] of refs) {
    const tag = await reader.readTag(full.slice(10), oid);
    if (tag) out.push(tag);
  }
  return out.sort(compareTagsNewestFirst);
}

/** Puts every loose ref folder and packed-refs a few seconds in the past (out of the racy window). */
function age(gitdir: string): void {
  const past = new Date(Date.now() - 10_000);
  for (const p of [`${gitdir}/refs/tags/rp`, `${gitdir}/packed-refs`]) {
    if (fs.existsSync(p)) fs.utimesSync(p, past, past);
  }
}

const names = (tags: TagInfo[]) => tags.map((t) => t.name);

test("listing with a limit gives the first entries of the full order, which matches reading every tag", async () => {
  const f = await withPoints(25);
  try {
    const expected = await reference(f.gitdir);
    assert.is(expected.length, 25);
    const all = await f.engine.listTags();
    assert.equal(all, expected);
    for (const limit of [0, 1, 3, 20, 25, 40]) {
      assert.equal(names(await f.engine.listTags("rp/", { limit })), names(expected.slice(0, limit)));
    }
    assert.ok(fs.existsSync(`${f.gitdir}/${TAG_INDEX_FILE}`), "the index is written beside the repo");
    assert.is(gitTry(f.gitdir, "fsck", "--strict", "--no-progress").status, 0, "git ignores the index");
  } finally {
    f.cleanup();
  }
});

test("a fresh process lists from the index without reading a tag object, and repairs only what changed", async () => {
  const f = await withPoints(30);
  try {
    await f.engine.listTags(); // builds the index
    const first = freshIndex(f.gitdir);
    const top = await first.index.list("rp/", 1);
    assert.is(first.counts.objects, 0, "no tag object read for log -n 1");
    assert.equal(top, (await reference(f.gitdir)).slice(0, 1));

    // Changes made by the git CLI behind our back: a new tag, a moved tag, a deleted tag.
    gitText(f.gitdir, "tag", "-a", "rp/from-cli", "-m", "cli\n\nConfvault-Sequence: 999", f.commit);
    gitText(f.gitdir, "tag", "-f", "-a", "rp/20261203T000000Z-5", "-m", "moved", `${f.commit}~3`);
    gitText(f.gitdir, "tag", "-d", "rp/20261203T000000Z-6");
    const second = freshIndex(f.gitdir);
    const listed = await second.index.list("rp/");
    assert.is(second.counts.objects, 2, "only the new and the moved tag are read");
    assert.equal(listed, await reference(f.gitdir));
    assert.is(listed[0]!.name, "rp/from-cli");
    assert.not.ok(names(listed).includes("rp/20261203T000000Z-6"));

    // Packing refs changes where refs live, not what they name: nothing to read.
    gitText(f.gitdir, "pack-refs", "--all");
    const third = freshIndex(f.gitdir);
    assert.equal(await third.index.list("rp/"), listed);
    assert.is(third.counts.objects, 0);
    assert.is(gitTry(f.gitdir, "fsck", "--strict", "--no-progress").status, 0);
  } finally {
    f.cleanup();
  }
});

test("a damaged or foreign index file is rebuilt from the tag objects", async () => {
  const f = await withPoints(12);
  try {
    const expected = await reference(f.gitdir);
    await f.engine.listTags(); // the index folder exists from here
    for (const junk of [
      "{not json",
      '{"version":99,"tags":[]}',
      '{"version":1,"tags":[["rp/x","zz"],7]}',
      "",
    ]) {
      fs.writeFileSync(`${f.gitdir}/${TAG_INDEX_FILE}`, junk);
      const fresh = freshIndex(f.gitdir);
      assert.equal(await fresh.index.list("rp/"), expected, `after ${JSON.stringify(junk)}`);
      assert.is(fresh.counts.objects, 12);
    }
    // An entry naming the right oid but claiming another commit is trusted only by oid: a
    // tampered index is as bad as tampered refs, so only the ref → oid check is promised.
    const again = freshIndex(f.gitdir);
    assert.equal(await again.index.list("rp/"), expected);
    assert.is(again.counts.objects, 0);
  } finally {
    f.cleanup();
  }
});

test("a repository where the index cannot be written still lists correctly", async () => {
  const f = await withPoints(5);
  try {
    fs.writeFileSync(`${f.gitdir}/confvault`, "a file where the index folder would go");
    const fresh = freshIndex(f.gitdir);
    assert.equal(await fresh.index.list("rp/"), await reference(f.gitdir));
    assert.equal(await fresh.index.list("rp/", 2), (await reference(f.gitdir)).slice(0, 2));
  } finally {
    f.cleanup();
  }
});

test("the engine's own createTag and deleteTag(s) keep the index current", async () => {
  const f = await withPoints(6);
  try {
    await f.engine.listTags();
    await f.engine.createTag({
      name: "rp/named",
      commit: f.commit,
      message: "named\n\nConfvault-Sequence: 50\n",
      tagger: alice,
    });
    await f.engine.deleteTags(["rp/20261203T000000Z-1", "rp/20261203T000000Z-2"]);
    await f.engine.deleteTag("rp/20261203T000000Z-3");
    const fresh = freshIndex(f.gitdir);
    const listed = await fresh.index.list("rp/");
    assert.is(fresh.counts.objects, 0, "created and deleted tags were recorded by the engine");
    assert.equal(listed, await reference(f.gitdir));
    assert.equal(names(listed).slice(0, 1), ["rp/named"]);
    assert.is(listed.length, 4);
    assert.equal(await f.engine.listTags(), listed);
    assert.is(gitTry(f.gitdir, "fsck", "--strict", "--no-progress").status, 0);
  } finally {
    f.cleanup();
  }
});

test("a warm process answers from memory while the refs are unchanged, and notices a change", async () => {
  const f = await withPoints(10);
  try {
    const warm = freshIndex(f.gitdir);
    age(f.gitdir);
    await warm.index.list("rp/"); // reads the refs, stamped before reading
    const lists = warm.counts.refLists;
    assert.is(lists, 1);
    const cached = await warm.index.list("rp/", 3);
    assert.is(warm.counts.refLists, lists, "refs not re-read");
    assert.equal(cached, (await reference(f.gitdir)).slice(0, 3));

    gitText(f.gitdir, "tag", "-a", "rp/late", "-m", "late\n\nConfvault-Sequence: 500", f.commit);
    const after = await warm.index.list("rp/", 1);
    assert.is(warm.counts.refLists, lists + 1, "a changed refs folder is noticed");
    assert.is(after[0]!.name, "rp/late");

    // Within the racy window a listing never trusts the cache, even if the stamp looks equal.
    gitText(f.gitdir, "tag", "-d", "rp/late");
    await warm.index.list("rp/");
    await warm.index.list("rp/");
    assert.ok(warm.counts.refLists >= lists + 3, "recent changes: refs read every time");
    assert.equal(await warm.index.list("rp/"), await reference(f.gitdir));
  } finally {
    f.cleanup();
  }
});

test.run();

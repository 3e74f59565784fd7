import fs from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfvaultError, type ErrorCode } from "../../src/errors/confvault-error.ts";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import type { Person, RepoEngine } from "../../src/repo/engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { gitBytes, gitText, gitTry, tempDir } from "../helpers/git-cli.ts";

const enc = new TextEncoder();
const alice: Person = { name: "Alice Admin", email: "alice@example.invalid", timestamp: 1_790_000_000 };

async function freshRepo(): Promise<{ engine: RepoEngine; gitdir: string; cleanup: () => void }> {
  const dir = tempDir("confvault-engine-");
  const gitdir = `${dir.path}/repo.git`;
  const engine = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }) });
  await engine.init();
  return { engine, gitdir, cleanup: dir.cleanup };
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<ConfvaultError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, ConfvaultError);
    assert.is((err as ConfvaultError).code, code, (err as Error).message);
    assert.ok((err as ConfvaultError).hint.length > 0, "errors carry a hint");
    return err as ConfvaultError;
  }
  return assert.unreachable(`expected ${code}, but it resolved`) as never;
}

function looseCount(gitdir: string): number {
  return Number(/^count: (\d+)$/m.exec(gitText(gitdir, "count-objects", "-v"))?.[1]);
}

/** Bytes that tempt a careless writer: BOM, CRLF, NUL, high bytes, no final newline. */
const trickyXml = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from('<?xml version="1.0"?>\r\n<root a="1"  b=\'2\'>\r\n  <!-- kept -->\r\n  <![CDATA[x]]>\r\n'),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from("</root>"),
]);

test("commits and annotated tags are valid git: fsck --strict, cat-file, log, show", async () => {
  const { engine, gitdir, cleanup } = await freshRepo();
  try {
    const c1 = await engine.commitFiles({
      branch: "main",
      files: { "config.xml": trickyXml, "manifest.json": enc.encode('{"v":1}\n') },
      message: "apply: first policy\n\nConfvault-Reason: test\n",
      author: alice,
      expectedParent: null,
    });
    const tagOid = await engine.createTag({ name: "rp/x", commit: c1, message: "first", tagger: alice });
    const c2 = await engine.commitFiles({
      branch: "main",
      files: {
        "config.xml": enc.encode("<root/>"),
        "manifest.json": enc.encode("{}"),
        "sub/dir/note.txt": enc.encode("n"),
      },
      message: "apply: second policy",
      author: { ...alice, timezoneOffset: -60 },
      expectedParent: c1,
      tag: { name: "rp/y", message: "second" },
    });

    const fsck = gitTry(gitdir, "fsck", "--strict", "--no-progress");
    assert.is(fsck.status, 0, fsck.output);
    assert.not.match(fsck.output, /error|warning|missing|broken/i);
    assert.is(await engine.fsck(), fsck.output.trim());
    assert.is(gitText(gitdir, "cat-file", "-t", "rp/x").trim(), "tag");
    assert.is(gitText(gitdir, "cat-file", "-t", "rp/y").trim(), "tag");
    assert.is(gitText(gitdir, "rev-parse", "rp/x").trim(), tagOid);
    assert.is(gitText(gitdir, "rev-parse", "rp/y^{commit}").trim(), c2);
    assert.is(gitText(gitdir, "log", "--format=%s", "main"), "apply: second policy\napply: first policy\n");
    assert.is(
      gitText(gitdir, "log", "-1", "--format=%an <%ae> %at %ai", "main").trim(),
      `Alice Admin <alice@example.invalid> ${alice.timestamp} 2026-09-21 15:13:20 +0100`,
    );
    assert.ok(
      gitBytes(gitdir, "show", "rp/x:config.xml").equals(trickyXml),
      "git show returns the exact bytes",
    );
    assert.is(
      gitText(gitdir, "ls-tree", "-r", "--name-only", "main"),
      "config.xml\nmanifest.json\nsub/dir/note.txt\n",
    );
    assert.is(gitText(gitdir, "rev-parse", "HEAD").trim(), c2);
  } finally {
    cleanup();
  }
});

test("reads return the bytes, commits, tags and history that were written", async () => {
  const { engine, cleanup } = await freshRepo();
  try {
    let parent: string | null = null;
    const commits: string[] = [];
    for (let i = 1; i <= 3; i++) {
      parent = await engine.commitFiles({
        branch: "main",
        files: { "config.xml": i === 2 ? trickyXml : enc.encode(`<v n="${i}"/>`) },
        message: `change ${i}`,
        author: { ...alice, timestamp: alice.timestamp + i },
        expectedParent: parent,
        tag: { name: `rp/t${i}`, message: `tag ${i}` },
      });
      commits.push(parent);
    }
    assert.equal(Buffer.from(await engine.readFile(commits[1]!, "config.xml")), trickyXml);
    assert.equal(Buffer.from(await engine.readFile("rp/t2", "config.xml")), trickyXml);
    assert.equal(await engine.listFiles(commits[0]!), ["config.xml"]);
    const info = await engine.readCommit(commits[2]!);
    assert.equal(info.parents, [commits[1]]);
    assert.is(info.message, "change 3\n");
    assert.equal(info.author, { ...alice, timestamp: alice.timestamp + 3, timezoneOffset: 0 });
    const log = await engine.log({ ref: "main" });
    assert.equal(
      log.map((c) => c.oid),
      [...commits].reverse(),
    );
    assert.is((await engine.log({ ref: "main", depth: 2 })).length, 2);
    const tags = await engine.listTags();
    assert.equal(
      tags.map((t) => [t.name, t.commit, t.message]),
      [
        ["rp/t3", commits[2], "tag 3\n"],
        ["rp/t2", commits[1], "tag 2\n"],
        ["rp/t1", commits[0], "tag 1\n"],
      ],
    );
    assert.is(await engine.branchTip("main"), commits[2]);
    assert.is(await engine.branchTip("nope"), null);
    await rejectsWith(engine.readFile(commits[0]!, "missing.xml"), "NOT_FOUND");
  } finally {
    cleanup();
  }
});

test("listTags sorts newest tagger time first, ties by name descending, and filters by prefix", async () => {
  const { engine, cleanup } = await freshRepo();
  try {
    const c = await engine.commitFiles({
      branch: "main",
      files: { "config.xml": enc.encode("<a/>") },
      message: "m",
      author: alice,
      expectedParent: null,
    });
    const at = (s: number) => ({ ...alice, timestamp: s });
    await engine.createTag({ name: "rp/b", commit: c, message: "", tagger: at(100) });
    await engine.createTag({ name: "rp/a", commit: c, message: "", tagger: at(100) });
    await engine.createTag({ name: "rp/c", commit: c, message: "", tagger: at(50) });
    await engine.createTag({ name: "rp/z", commit: c, message: "", tagger: at(200) });
    await engine.createTag({ name: "other/q", commit: c, message: "", tagger: at(300) });
    assert.equal(
      (await engine.listTags()).map((t) => t.name),
      ["rp/z", "rp/b", "rp/a", "rp/c"],
    );
    assert.equal(
      (await engine.listTags("other/")).map((t) => t.name),
      ["other/q"],
    );
  } finally {
    cleanup();
  }
});

test("expectedParent mismatch is CONFLICT and nothing moves", async () => {
  const { engine, gitdir, cleanup } = await freshRepo();
  try {
    const files = { "config.xml": enc.encode("<a/>") };
    const c1 = await engine.commitFiles({
      branch: "main",
      files,
      message: "1",
      author: alice,
      expectedParent: null,
    });
    const c2 = await engine.commitFiles({
      branch: "main",
      files,
      message: "2",
      author: alice,
      expectedParent: c1,
    });
    const objects = looseCount(gitdir);
    const newFiles = { "config.xml": enc.encode("<b/>") };
    const err = await rejectsWith(
      engine.commitFiles({
        branch: "main",
        files: newFiles,
        message: "3",
        author: alice,
        expectedParent: c1,
      }),
      "CONFLICT",
    );
    assert.is(err.data.actual, c2);
    await rejectsWith(
      engine.commitFiles({
        branch: "main",
        files: newFiles,
        message: "3",
        author: alice,
        expectedParent: null,
      }),
      "CONFLICT",
    );
    assert.is(await engine.branchTip("main"), c2);
    assert.is(looseCount(gitdir), objects, "a refused commit writes no objects");
    assert.is(gitTry(gitdir, "fsck", "--strict").status, 0);
  } finally {
    cleanup();
  }
});

test("an existing tag name is TAG_EXISTS, also inside a commit, and the branch does not move", async () => {
  const { engine, cleanup } = await freshRepo();
  try {
    const files = { "config.xml": enc.encode("<a/>") };
    const c1 = await engine.commitFiles({
      branch: "main",
      files,
      message: "1",
      author: alice,
      expectedParent: null,
      tag: { name: "rp/one", message: "one" },
    });
    await rejectsWith(
      engine.createTag({ name: "rp/one", commit: c1, message: "again", tagger: alice }),
      "TAG_EXISTS",
    );
    await rejectsWith(
      engine.commitFiles({
        branch: "main",
        files: { "config.xml": enc.encode("<b/>") },
        message: "2",
        author: alice,
        expectedParent: c1,
        tag: { name: "rp/one", message: "dup" },
      }),
      "TAG_EXISTS",
    );
    assert.is(await engine.branchTip("main"), c1);
    await rejectsWith(
      engine.createTag({ name: "rp/one/sub", commit: c1, message: "", tagger: alice }),
      "CONFLICT",
    );
    await rejectsWith(
      engine.createTag({ name: "rp/bad..name", commit: c1, message: "", tagger: alice }),
      "BAD_REF_NAME",
    );
    await rejectsWith(
      engine.createTag({ name: "rp/new", commit: "feedbeef", message: "", tagger: alice }),
      "REF_NOT_FOUND",
    );
  } finally {
    cleanup();
  }
});

test("resolveCommit takes branches, tags, refs/…, full and short oids; unknown is REF_NOT_FOUND", async () => {
  const { engine, cleanup } = await freshRepo();
  try {
    const c1 = await engine.commitFiles({
      branch: "main",
      files: { "config.xml": enc.encode("<a/>") },
      message: "1",
      author: alice,
      expectedParent: null,
    });
    const tagOid = await engine.createTag({ name: "rp/x", commit: c1, message: "", tagger: alice });
    for (const ref of [
      "main",
      "HEAD",
      "refs/heads/main",
      "rp/x",
      "x",
      "refs/tags/rp/x",
      c1,
      c1.toUpperCase(),
      c1.slice(0, 4),
      c1.slice(0, 12),
      tagOid,
    ]) {
      assert.is(await engine.resolveCommit(ref), c1, ref);
    }
    for (const ref of [
      "nope",
      "rp/nope",
      "",
      "../config",
      "refs/heads/../../config",
      "0000",
      c1.slice(0, 3),
      "f".repeat(40),
    ]) {
      await rejectsWith(engine.resolveCommit(ref), "REF_NOT_FOUND");
    }
    const tree = (await engine.readCommit(c1)).tree;
    await rejectsWith(engine.resolveCommit(tree), "REF_NOT_FOUND");
  } finally {
    cleanup();
  }
});

test("after maintenance everything is packed and reads, tags and new writes still work", async () => {
  const { engine, gitdir, cleanup } = await freshRepo();
  try {
    let parent: string | null = null;
    const versions: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const bytes = Buffer.concat([trickyXml, Buffer.from(`\r\n<!-- ${i} -->`)]);
      versions.push(bytes);
      parent = await engine.commitFiles({
        branch: "main",
        files: { "config.xml": bytes },
        message: `v${i}`,
        author: { ...alice, timestamp: alice.timestamp + i },
        expectedParent: parent,
        tag: { name: `rp/v${i}`, message: `v${i}` },
      });
    }
    const stats = await engine.maintenance();
    assert.ok(stats.looseBefore >= 20, `loose before ${stats.looseBefore}`);
    assert.is(stats.looseAfter, 0);
    assert.ok(stats.sizeAfter < stats.sizeBefore);
    assert.is(looseCount(gitdir), 0);
    assert.ok(fs.existsSync(`${gitdir}/packed-refs`));
    assert.not.ok(fs.existsSync(`${gitdir}/refs/tags/rp/v0`), "tags now live in packed-refs");

    const fresh = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }) });
    for (const reader of [engine, fresh]) {
      for (let i = 0; i < 5; i++) {
        assert.equal(Buffer.from(await reader.readFile(`rp/v${i}`, "config.xml")), versions[i]);
      }
      assert.equal(
        (await reader.listTags()).map((t) => t.name),
        ["rp/v4", "rp/v3", "rp/v2", "rp/v1", "rp/v0"],
      );
      assert.is(await reader.branchTip("main"), parent);
      assert.is((await reader.log({ ref: "main" })).length, 5);
    }
    await rejectsWith(
      fresh.createTag({ name: "rp/v2", commit: parent!, message: "", tagger: alice }),
      "TAG_EXISTS",
    );
    await rejectsWith(
      fresh.createTag({ name: "rp/v2/x", commit: parent!, message: "", tagger: alice }),
      "CONFLICT",
    );
    const next = await fresh.commitFiles({
      branch: "main",
      files: { "config.xml": versions[0]! },
      message: "after gc",
      author: alice,
      expectedParent: parent,
      tag: { name: "rp/after", message: "after" },
    });
    await fresh.deleteTag("rp/v1");
    await rejectsWith(fresh.deleteTag("rp/v1"), "REF_NOT_FOUND");
    assert.equal(
      (await fresh.listTags()).map((t) => t.name),
      ["rp/v4", "rp/v3", "rp/v2", "rp/v0", "rp/after"],
    );
    assert.is(gitText(gitdir, "rev-parse", "main").trim(), next);
    assert.is(gitTry(gitdir, "fsck", "--strict").status, 0);
  } finally {
    cleanup();
  }
});

test("init makes a sane bare repo and is idempotent; fsck failures are VERIFY_FAILED", async () => {
  const { engine, gitdir, cleanup } = await freshRepo();
  try {
    await engine.init();
    assert.is(gitText(gitdir, "config", "--get", "core.bare").trim(), "true");
    assert.is(gitText(gitdir, "config", "--get", "gc.auto").trim(), "0");
    assert.is(gitText(gitdir, "rev-parse", "--is-bare-repository").trim(), "true");
    const c1 = await engine.commitFiles({
      branch: "main",
      files: { "config.xml": enc.encode("<a/>") },
      message: "1",
      author: alice,
      expectedParent: null,
    });
    // A killed process can leave a lock behind: an old one is broken, not fatal.
    const lock = `${gitdir}/refs/heads/main.lock`;
    fs.writeFileSync(lock, "junk");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const c2 = await engine.commitFiles({
      branch: "main",
      files: { "config.xml": enc.encode("<b/>") },
      message: "2",
      author: alice,
      expectedParent: c1,
    });
    assert.is(await engine.branchTip("main"), c2);
    assert.not.ok(fs.existsSync(lock));

    const treeOid = (await engine.readCommit(c2)).tree;
    const path = `${gitdir}/objects/${treeOid.slice(0, 2)}/${treeOid.slice(2)}`;
    fs.chmodSync(path, 0o644);
    fs.writeFileSync(path, "corrupt");
    await rejectsWith(engine.fsck(), "VERIFY_FAILED");
  } finally {
    cleanup();
  }
});

test.run();

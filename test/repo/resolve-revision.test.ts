import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfvaultError, type ErrorCode } from "../../src/errors/confvault-error.ts";
import { exitCodeFor, httpStatusFor } from "../../src/errors/status-map.ts";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import type { Person, RepoEngine } from "../../src/repo/engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { gitTestEnv, gitText, tempDir } from "../helpers/git-cli.ts";

const enc = new TextEncoder();
const alice: Person = { name: "Alice Admin", email: "alice@example.invalid", timestamp: 1_790_000_000 };

interface Repo {
  engine: RepoEngine;
  gitdir: string;
  /** c[0] is the root commit, c[3] the tip of main. */
  c: string[];
  cleanup: () => void;
}

/** main: c0 ← c1 ← c2 ← c3; restore points rp/first (c0), rp/short-timeouts (c1), rp/x (c2). */
async function repoWithHistory(): Promise<Repo> {
  const dir = tempDir("confvault-revision-");
  const gitdir = `${dir.path}/repo.git`;
  const engine = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }) });
  await engine.init();
  const c: string[] = [];
  for (let i = 0; i < 4; i++) {
    c.push(
      await engine.commitFiles({
        branch: "main",
        files: { "config.xml": enc.encode(`<root n="${i}"/>`) },
        message: `apply: change ${i}\n`,
        author: { ...alice, timestamp: alice.timestamp + i },
        expectedParent: c[i - 1] ?? null,
      }),
    );
  }
  await engine.createTag({ name: "rp/first", commit: c[0]!, message: "first", tagger: alice });
  await engine.createTag({ name: "rp/short-timeouts", commit: c[1]!, message: "named", tagger: alice });
  await engine.createTag({ name: "rp/x", commit: c[2]!, message: "x", tagger: alice });
  return { engine, gitdir, c, cleanup: dir.cleanup };
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

test("every revision form resolves to the commit git would pick", async () => {
  const { engine, gitdir, c, cleanup } = await repoWithHistory();
  try {
    const [c0, c1, c2, c3] = c as [string, string, string, string];
    const cases: Array<[string, string]> = [
      ["main", c3],
      ["refs/heads/main", c3],
      ["HEAD", c3],
      ["@", c3],
      ["main~0", c3],
      ["main~", c2],
      ["main~1", c2],
      ["main~3", c0],
      ["main^", c2],
      ["main^1", c2],
      ["main^0", c3],
      ["main^^", c1],
      ["main~1^", c1],
      ["main~1~1", c1],
      ["HEAD~2", c1],
      ["HEAD^", c2],
      ["@~1", c2],
      ["@~3", c0],
      ["@^", c2],
      ["main^{commit}", c3],
      ["main~1^{}", c2],
      ["rp/short-timeouts", c1],
      ["short-timeouts", c1],
      ["short-timeouts~1", c0],
      ["rp/x^", c1],
      ["x", c2],
      ["refs/tags/rp/first", c0],
      ["first", c0],
      [c2, c2],
      [c2.toUpperCase(), c2],
      [c2.slice(0, 12), c2],
      [`${c2.slice(0, 12)}~1`, c1],
      [c1.slice(0, 7), c1],
    ];
    for (const [rev, want] of cases) {
      assert.is(await engine.resolveCommit(rev), want, rev);
      // Where git knows the syntax (not the rp/ shorthand), it agrees.
      if (!/^(short-timeouts|x|first)(\W|$)/.test(rev)) {
        const theirs = gitText(gitdir, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`).trim();
        assert.is(theirs, want, `git rev-parse ${rev}`);
      }
    }
    // The tag object's own id peels to its commit, as the tag name does.
    const tagOid = gitText(gitdir, "rev-parse", "refs/tags/rp/x").trim();
    assert.is(await engine.resolveCommit(tagOid), c2);
    assert.is(await engine.resolveCommit(tagOid.slice(0, 10)), c2);
    // log and readFile take the same revisions.
    assert.equal(
      (await engine.log({ ref: "main~1" })).map((x) => x.oid),
      [c2, c1, c0],
    );
    assert.is(
      new TextDecoder().decode(await engine.readFile("short-timeouts", "config.xml")),
      '<root n="1"/>',
    );
  } finally {
    cleanup();
  }
});

test("a revision past the root, a missing parent, reflog syntax and junk are REF_NOT_FOUND with a hint", async () => {
  const { engine, cleanup } = await repoWithHistory();
  try {
    const past = await rejectsWith(engine.resolveCommit("main~4"), "REF_NOT_FOUND");
    assert.match(past.message, /goes back 4 commits from main, but only 3 exist/);
    assert.match((await rejectsWith(engine.resolveCommit("main^2"), "REF_NOT_FOUND")).message, /one parent/);
    assert.match(
      (await rejectsWith(engine.resolveCommit("first^"), "REF_NOT_FOUND")).message,
      /no parent|only 0/,
    );
    assert.match((await rejectsWith(engine.resolveCommit("main@{1}"), "REF_NOT_FOUND")).message, /reflog/);
    for (const bad of [
      "",
      "nope",
      "rp/nope",
      "~1",
      "main~x",
      "main^{tree}",
      "a..b",
      "0000",
      "0".repeat(40),
    ]) {
      const err = await rejectsWith(engine.resolveCommit(bad), "REF_NOT_FOUND");
      assert.is(err.data.ref, bad);
    }
  } finally {
    cleanup();
  }
});

test("a merge commit: ^2 is the second parent, ~ follows the first", async () => {
  const { engine, gitdir, c, cleanup } = await repoWithHistory();
  try {
    const tree = gitText(gitdir, "rev-parse", `${c[3]}^{tree}`).trim();
    const side = execFileSync(
      "git",
      [`--git-dir=${gitdir}`, "commit-tree", tree, "-p", c[0]!, "-m", "side"],
      {
        env: gitTestEnv,
        encoding: "utf8",
      },
    ).trim();
    const merge = execFileSync(
      "git",
      [`--git-dir=${gitdir}`, "commit-tree", tree, "-p", c[3]!, "-p", side, "-m", "merge"],
      { env: gitTestEnv, encoding: "utf8" },
    ).trim();
    gitText(gitdir, "update-ref", "refs/heads/merged", merge);
    assert.is(await engine.resolveCommit("merged^2"), side);
    assert.is(await engine.resolveCommit("merged^2~1"), c[0]);
    assert.is(await engine.resolveCommit("merged~1"), c[3]);
    assert.is(await engine.resolveCommit("merged^1^"), c[2]);
    assert.match((await rejectsWith(engine.resolveCommit("merged^3"), "REF_NOT_FOUND")).message, /2 parents/);
  } finally {
    cleanup();
  }
});

test("an ambiguous short commit id lists the commits (loose and packed); blobs sharing it do not count", async () => {
  const { engine, gitdir, c, cleanup } = await repoWithHistory();
  try {
    // 1,500 commits on a side branch in one fast-import: some pair shares a 4-hex prefix.
    const lines: string[] = [];
    for (let i = 1; i <= 1500; i++) {
      const msg = `side ${i}\n`;
      lines.push(
        "commit refs/heads/side",
        `committer T <t@example.invalid> ${1_790_000_000 + i} +0000`,
        `data ${Buffer.byteLength(msg)}`,
        msg.trimEnd(),
        "",
      );
    }
    execFileSync("git", [`--git-dir=${gitdir}`, "fast-import", "--quiet"], {
      env: gitTestEnv,
      input: `${lines.join("\n")}\n`,
    });
    const commits = gitText(gitdir, "rev-list", "side").trim().split("\n");
    const byPrefix = new Map<string, string[]>();
    for (const oid of commits) byPrefix.set(oid.slice(0, 4), [...(byPrefix.get(oid.slice(0, 4)) ?? []), oid]);
    const [prefix, pair] = [...byPrefix].find(([, oids]) => oids.length >= 2)!;
    // fast-import writes a pack: the candidates come from the pack index.
    const err = await rejectsWith(engine.resolveCommit(prefix), "REF_AMBIGUOUS");
    for (const oid of pair!)
      assert.ok(err.message.includes(oid.slice(0, 12)), `${oid} listed in: ${err.message}`);
    assert.match(err.message, /side \d+/);
    const listed = (err.data.candidates as Array<{ commit: string }>).map((x) => x.commit).sort();
    assert.equal(listed, [...pair!].sort());
    assert.is(exitCodeFor("REF_AMBIGUOUS"), 2);
    assert.is(httpStatusFor("REF_AMBIGUOUS"), 400);
    // With more digits it resolves, as git's does.
    const one = pair![0]!;
    let n = 5;
    while (commits.filter((x) => x.startsWith(one.slice(0, n))).length > 1) n++;
    assert.is(await engine.resolveCommit(one.slice(0, n)), one);
    assert.is(gitText(gitdir, "rev-parse", one.slice(0, n)).trim(), one);

    // A blob whose id shares a commit's prefix: the commit still resolves (git's commit-ish rule).
    const mainPrefix = c[2]!.slice(0, 4);
    let blob = "";
    for (let i = 0; i < 300000 && blob === ""; i++) {
      const h = gitHashObject(`blob ${i}`);
      if (h.startsWith(mainPrefix)) blob = `blob ${i}`;
    }
    if (blob !== "") {
      execFileSync("git", [`--git-dir=${gitdir}`, "hash-object", "-w", "--stdin"], {
        env: gitTestEnv,
        input: blob,
      });
      const clash = commits.some((x) => x.startsWith(mainPrefix));
      if (!clash) assert.is(await engine.resolveCommit(mainPrefix), c[2]);
    }
    // After gc everything is packed; short ids still resolve.
    gitText(gitdir, "gc", "--quiet");
    assert.is(await engine.resolveCommit(c[1]!.slice(0, 8)), c[1]);
  } finally {
    cleanup();
  }
});

test("a name that means two different commits lists them; a branch beats the rp/ shorthand", async () => {
  const { engine, gitdir, c, cleanup } = await repoWithHistory();
  try {
    // A foreign tag "short-timeouts" beside the restore point rp/short-timeouts.
    gitText(gitdir, "update-ref", "refs/tags/short-timeouts", c[3]!);
    const err = await rejectsWith(engine.resolveCommit("short-timeouts"), "REF_AMBIGUOUS");
    assert.match(err.message, /short-timeouts/);
    assert.ok(
      err.message.includes(c[1]!.slice(0, 12)) && err.message.includes(c[3]!.slice(0, 12)),
      err.message,
    );
    assert.match(err.message, /rp\/short-timeouts/);
    assert.is(await engine.resolveCommit("rp/short-timeouts"), c[1]);
    assert.is(await engine.resolveCommit("refs/tags/short-timeouts"), c[3]);
    // Both names at the same commit: not ambiguous.
    gitText(gitdir, "update-ref", "refs/tags/x", c[2]!);
    assert.is(await engine.resolveCommit("x"), c[2]);
    // A restore point named like the branch: "main" stays the branch, rp/main the point.
    await engine.createTag({ name: "rp/main", commit: c[0]!, message: "odd", tagger: alice });
    assert.is(await engine.resolveCommit("main"), c[3]);
    assert.is(await engine.resolveCommit("rp/main"), c[0]);
    // A restore point whose name is hex, and a commit with that prefix elsewhere: ambiguous.
    const prefix = c[3]!.slice(0, 6);
    await engine.createTag({ name: `rp/${prefix}`, commit: c[0]!, message: "hex", tagger: alice });
    const both = await rejectsWith(engine.resolveCommit(prefix), "REF_AMBIGUOUS");
    assert.ok(both.message.includes(`rp/${prefix}`), both.message);
    assert.is(await engine.resolveCommit(`rp/${prefix}`), c[0]);
  } finally {
    cleanup();
  }
});

function gitHashObject(text: string): string {
  const body = Buffer.from(text);
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))
    .digest("hex");
}

test.run();

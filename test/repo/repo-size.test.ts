import fs from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { measureRepoSize } from "../../src/repo/repo-size.ts";
import { gitText, tempDir } from "../helpers/git-cli.ts";

const enc = new TextEncoder();
const alice = { name: "Alice", email: "alice@example.invalid", timestamp: 1_790_000_000 };

/** What walking the folders and stat-ing every file gives (the old `/status` way), minus refs/. */
function walked(gitdir: string): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) total += fs.statSync(full).size;
    }
  };
  walk(`${gitdir}/objects`);
  if (fs.existsSync(`${gitdir}/confvault`)) walk(`${gitdir}/confvault`);
  for (const e of fs.readdirSync(gitdir, { withFileTypes: true }))
    if (e.isFile()) total += fs.statSync(path.join(gitdir, e.name)).size;
  return total;
}

test("repository size: exact when small, a close estimate from a sample when large, packs exact", async () => {
  const dir = tempDir("confvault-size-");
  const gitdir = `${dir.path}/repo.git`;
  try {
    const engine = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }), durable: false });
    await engine.init();
    let parent: string | null = null;
    for (let i = 0; i < 60; i++) {
      parent = await engine.commitFiles({
        branch: "main",
        files: { "config.xml": enc.encode(`<a>${"x".repeat(200 + ((i * 37) % 900))}${i}</a>`) },
        message: `m${i}`,
        author: alice,
        expectedParent: parent,
        tag: { name: `rp/p-${i}`, message: `t${i}` },
      });
    }
    await engine.listTags(); // writes the tag index, counted too
    const loose = Number(/^count: (\d+)$/m.exec(gitText(gitdir, "count-objects", "-v"))?.[1]);
    const exact = await measureRepoSize(fs, gitdir);
    assert.is(exact.looseObjects, loose);
    assert.is(exact.estimated, false);
    assert.is(exact.bytes, walked(gitdir));

    const sampled = await measureRepoSize(fs, gitdir, 16);
    assert.is(sampled.estimated, true);
    assert.is(sampled.looseObjects, loose);
    const ratio = sampled.bytes / walked(gitdir);
    assert.ok(ratio > 0.7 && ratio < 1.3, `estimate within 30 % (got ${ratio.toFixed(2)})`);

    await engine.maintenance();
    const packed = await measureRepoSize(fs, gitdir, 16);
    assert.is(packed.looseObjects, 0);
    assert.ok(packed.packs >= 1);
    assert.is(packed.bytes, walked(gitdir));
  } finally {
    dir.cleanup();
  }
});

test.run();

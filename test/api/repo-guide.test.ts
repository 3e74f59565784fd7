import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { dec, enc, git, ROOT, tempDir, tempHome } from "../helpers/temp-home.ts";

const run = promisify(execFile);

test("every restore point carries .gitattributes (* -text) and a README; an autocrlf=true clone keeps the bytes and hashes", async () => {
  const h = await tempHome();
  const out = await tempDir();
  try {
    const base = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
    assert.ok(base.includes("\n") && !base.includes("\r\n"), "the sample has LF line endings");
    const made = await applyConfig({ ctx: h.ctx, config: enc(base), reason: "first", actor: "t" });
    const files = (await git(h.ctx.layout.gitdir, "ls-tree", "--name-only", made.commit)).trim().split("\n");
    for (const f of [".gitattributes", "README.md", "config.xml", "manifest.json", "secrets.sealed.age"])
      assert.ok(files.includes(f), `${f} is in the restore point (${files.join(", ")})`);
    const attrs = await git(h.ctx.layout.gitdir, "show", `${made.commit}:.gitattributes`);
    assert.match(attrs, /^\* -text$/m);
    const readme = await git(h.ctx.layout.gitdir, "show", `${made.commit}:README.md`);
    assert.match(readme, /confvault configuration repository/);
    assert.match(readme, /age --decrypt/);
    assert.match(readme, /recover --from/);

    const clone = path.join(out, "clone");
    await run("git", ["-c", "core.autocrlf=true", "clone", "--quiet", h.ctx.layout.gitdir, clone], {
      env: { PATH: process.env.PATH, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: "1" },
    });
    const manifest = JSON.parse(await fsp.readFile(path.join(clone, "manifest.json"), "utf8"));
    for (const [name, fact] of Object.entries(manifest.files as Record<string, { sha256: string }>)) {
      const bytes = await fsp.readFile(path.join(clone, name));
      const sha = createHash("sha256").update(bytes).digest("hex");
      assert.is(sha, fact.sha256, `${name} in an autocrlf=true checkout matches the manifest`);
    }
    const checkedOut = dec(new Uint8Array(await fsp.readFile(path.join(clone, "config.xml"))));
    assert.not.ok(checkedOut.includes("\r\n"), "no CRLF was introduced");
    // A second, policy-identical apply makes no restore point: the guide files are not a change.
    const again = await applyConfig({ ctx: h.ctx, config: enc(base), reason: "again", actor: "t" });
    assert.is(again.changed, false);
  } finally {
    await h.cleanup();
    await fsp.rm(out, { recursive: true, force: true });
  }
});

test.run();

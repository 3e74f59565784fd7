import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { verify } from "../../src/api/verify.ts";
import { openSnapshot } from "../../src/core/read-snapshot.ts";
import { openHome } from "../../src/home/open-home.ts";
import { enc, git, ROOT, tempHome } from "../helpers/temp-home.ts";

// Issue 10 item 6: an apply whose secrets did not change carries the parent's sealed bundle
// forward; a tampered or corrupt parent bundle must not be referenced by the new restore point.
test("a tampered parent bundle is not carried forward: the new restore point gets a freshly sealed one", async () => {
  const h = await tempHome();
  try {
    const base = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
    const first = await applyConfig({ ctx: h.ctx, config: enc(base), reason: "first", actor: "t" });
    const gitdir = h.ctx.layout.gitdir;
    const line = (await git(gitdir, "ls-tree", first.commit, "secrets.sealed.age")).trim();
    const oid = line.split(/\s+/)[2]!;
    // Replace the loose object's content (same name, other bytes), as a disk or a hand would.
    const bytes = execFileSync("git", [`--git-dir=${gitdir}`, "cat-file", "blob", oid]);
    assert.ok(bytes.length > 100);
    bytes[bytes.length - 20] ^= 0xff;
    const file = path.join(gitdir, "objects", oid.slice(0, 2), oid.slice(2));
    await fsp.chmod(file, 0o644);
    await fsp.writeFile(file, deflateSync(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes])));

    const ctx = await openHome({ dir: h.dir, env: h.env });
    const next = await applyConfig({
      ctx,
      config: enc(base.replace("</access>", "<allow id='77'><comment>x</comment></allow></access>")),
      reason: "second",
      actor: "t",
    });
    assert.ok(
      next.warnings.some((w) => /did not check out/.test(w)),
      next.warnings.join("; "),
    );
    const newOid = (await git(gitdir, "ls-tree", next.commit, "secrets.sealed.age")).trim().split(/\s+/)[2];
    assert.is.not(newOid, oid, "the new restore point refers to the tampered blob");
    const snap = await openSnapshot(ctx, next.commit);
    assert.ok(snap.bundle.secrets !== undefined);
    const result = await verify({ ctx: await openHome({ dir: h.dir, env: h.env }) });
    assert.is(result.ok, false, "verify must report the tampered object");
    assert.ok(
      JSON.stringify(result).includes(oid),
      `verify names the bad object ${oid}: ${JSON.stringify(result).slice(0, 400)}`,
    );
    const newPoint = result.points.find((p) => p.commit === next.commit || p.ref === next.tag);
    assert.ok(newPoint?.ok, `the new restore point checks out: ${JSON.stringify(newPoint)}`);
  } finally {
    await h.cleanup();
  }
});

test.run();

import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { diff } from "../../src/api/diff.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { restore } from "../../src/api/restore.ts";
import { rollback } from "../../src/api/rollback.ts";
import { showFile } from "../../src/api/show-file.ts";
import { verify } from "../../src/api/verify.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { dec, enc, git, ROOT, type TempHome, tempHome } from "../helpers/temp-home.ts";

const SAMPLE = new Uint8Array(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml")));
let h: TempHome;

test.before.each(async () => {
  h = await tempHome();
});
test.after.each(async () => {
  await h.cleanup();
});

async function liveBytes(): Promise<Uint8Array> {
  return new Uint8Array(await fsp.readFile(h.ctx.live("config")!));
}

test("apply commits, tags an annotated restore point and writes the live file", async () => {
  const r = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first import", actor: "alice" });
  assert.ok(r.changed);
  assert.match(r.tag, /^rp\/\d{8}T\d{6}Z-1$/);
  assert.equal(await liveBytes(), SAMPLE);
  assert.is((await git(h.ctx.layout.gitdir, "cat-file", "-t", r.tag)).trim(), "tag");
  assert.is((await git(h.ctx.layout.gitdir, "rev-parse", `${r.tag}^{commit}`)).trim(), r.commit);
  await git(h.ctx.layout.gitdir, "fsck", "--strict", "--no-progress");
  const files = (await git(h.ctx.layout.gitdir, "ls-tree", "--name-only", r.commit)).trim().split("\n");
  assert.equal(files.sort(), [
    ".gitattributes",
    "README.md",
    "config.xml",
    "manifest.json",
    "secrets.sealed.age",
  ]);
  const msg = await git(h.ctx.layout.gitdir, "log", "-1", "--format=%B", r.commit);
  assert.match(msg, /Confvault-Reason: first import/);
  assert.match(msg, /Confvault-Actor: alice/);
  assert.match(msg, /Confvault-Source: apply/);
  assert.match(msg, /Confvault-Node: node1/);
});

test("secrets never reach git: the committed config holds markers, show gives the applied bytes back", async () => {
  const r = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "alice" });
  const committed = await git(h.ctx.layout.gitdir, "show", `${r.tag}:config.xml`);
  const secret = /<ldappassword>([^<]+)<\/ldappassword>/.exec(dec(SAMPLE))?.[1];
  assert.ok(secret, "the sample has an LDAP password");
  assert.not.ok(committed.includes(secret!));
  assert.match(committed, /confvault-secret:v1:[0-9a-f]{24}/);
  assert.equal(await showFile({ ctx: h.ctx, ref: r.tag }), SAMPLE);
});

test("a config copied from the repository (markers in place) applies with the secrets of the current bundle", async () => {
  await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const committed = await showFile({ ctx: h.ctx, ref: "main", file: "committed/config.xml" });
  const edited = enc(
    dec(committed).replace(
      "<request_timeout>120</request_timeout>",
      "<request_timeout>121</request_timeout>",
    ),
  );
  const r = await applyConfig({ ctx: h.ctx, config: edited, reason: "edited in git", actor: "a" });
  const expected = dec(SAMPLE).replace(
    "<request_timeout>120</request_timeout>",
    "<request_timeout>121</request_timeout>",
  );
  assert.is(dec(await showFile({ ctx: h.ctx, ref: r.tag })), expected);
  try {
    await applyConfig({
      ctx: h.ctx,
      config: enc(
        dec(edited).replace(
          /confvault-secret:v1:[0-9a-f]{24}/,
          "confvault-secret:v1:000000000000000000000000",
        ),
      ),
      reason: "x",
      actor: "a",
    });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "BAD_INPUT"), String(err));
  }
});

test("an identical apply makes no restore point", async () => {
  await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const again = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "again", actor: "a" });
  assert.is(again.changed, false);
  assert.is((await listRestorePoints({ ctx: h.ctx })).length, 1);
});

test("restore adds a commit instead of rewriting history, and rollback goes back one change", async () => {
  const first = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const changed = enc(
    dec(SAMPLE).replace("<request_timeout>120</request_timeout>", "<request_timeout>240</request_timeout>"),
  );
  assert.is.not(dec(changed), dec(SAMPLE), "the sample has a request_timeout to change");
  const second = await applyConfig({ ctx: h.ctx, config: changed, reason: "bigger pool", actor: "b" });
  assert.equal(await liveBytes(), changed);
  const d = await diff({ ctx: h.ctx, from: first.tag, to: second.tag });
  assert.match(d.text, /request_timeout/);
  const r = await restore({ ctx: h.ctx, ref: first.tag, reason: "undo pool change", actor: "c" });
  assert.equal(await liveBytes(), SAMPLE);
  const log = (await git(h.ctx.layout.gitdir, "log", "--format=%H", "main")).trim().split("\n");
  assert.is(log.length, 3);
  assert.is(log[0], r.commit);
  assert.is(log[2], first.commit);
  const rb = await rollback({ ctx: h.ctx, reason: "redo", actor: "c" });
  assert.is(rb.restoredFrom, second.commit);
  assert.equal(await liveBytes(), changed);
  const points = await listRestorePoints({ ctx: h.ctx });
  assert.is(points.length, 4);
  assert.is(points[0].tag, rb.tag);
  assert.is(points[0].source, "rollback");
  const v = await verify({ ctx: h.ctx, all: true, drill: true });
  assert.ok(v.ok, JSON.stringify(v.points.filter((p) => !p.ok)));
});

test("malformed XML is refused with line:column; nothing is committed and the live file is untouched", async () => {
  await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const bad = enc(
    `<?xml version="1.0"?>\n<safesquid>\n  <access>\n    <policy>DENY</polcy>\n  </access>\n</safesquid>\n`,
  );
  try {
    await applyConfig({ ctx: h.ctx, config: bad, reason: "broken", actor: "a" });
    assert.unreachable("should refuse");
  } catch (err) {
    assert.ok(isConfvaultError(err, "XML_MALFORMED"), String(err));
    assert.match((err as Error).message, /:4:\d+/);
  }
  assert.is((await listRestorePoints({ ctx: h.ctx })).length, 1);
  assert.equal(await liveBytes(), SAMPLE);
});

test("a config for another appliance is refused", async () => {
  try {
    await applyConfig({ ctx: h.ctx, config: enc("<opnsense><system/></opnsense>"), reason: "x", actor: "a" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "BAD_INPUT"));
  }
});

test("hostile restore point names are refused before anything is written", async () => {
  for (const name of ["../x", "-x", "refs/heads/main", "a..b", "x.lock", "a@{b", "bad\u0001name", "a b"]) {
    try {
      await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "x", actor: "a", tag: name });
      assert.unreachable(name);
    } catch (err) {
      assert.ok(isConfvaultError(err, "BAD_REF_NAME"), `${name}: ${err}`);
    }
  }
  assert.is(await h.ctx.engine.branchTip("main"), null);
  const ok = await applyConfig({
    ctx: h.ctx,
    config: SAMPLE,
    reason: "x",
    actor: "a",
    tag: "before-upgrade",
  });
  assert.is(ok.tag, "rp/before-upgrade");
});

test("a failing pre-apply hook stops the change; a failing health hook rolls back automatically", async () => {
  await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const hook = (name: string, body: string) =>
    fsp.writeFile(path.join(h.dir, "hooks", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const changed = enc(
    dec(SAMPLE).replace("<request_timeout>120</request_timeout>", "<request_timeout>3000</request_timeout>"),
  );
  await hook("pre-apply", 'echo "refused by policy for $CONFVAULT_ACTOR" >&2; exit 3');
  try {
    await applyConfig({ ctx: h.ctx, config: changed, reason: "x", actor: "mallory", tag: "nope" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "HOOK_FAILED"), String(err));
    assert.match((err as Error).message, /refused by policy for mallory/);
  }
  assert.is((await listRestorePoints({ ctx: h.ctx })).length, 1);
  await fsp.rm(path.join(h.dir, "hooks", "pre-apply"));
  await hook(
    "health",
    'grep -q "<request_timeout>3000" "$CONFVAULT_LIVE_CONFIG" && { echo "proxy did not come up"; exit 1; }; exit 0',
  );
  try {
    await applyConfig({ ctx: h.ctx, config: changed, reason: "bad pool", actor: "a" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "HEALTH_FAILED"), String(err));
    assert.match((err as Error).message, /rolled back automatically/);
  }
  assert.equal(await liveBytes(), SAMPLE);
  const points = await listRestorePoints({ ctx: h.ctx });
  assert.is(points.length, 3);
  assert.is(points[0].source, "restore");
  assert.is(points[0].actor, "confvault");
});

test.run();

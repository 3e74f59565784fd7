import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { maintenance } from "../../src/api/maintenance.ts";
import { prune } from "../../src/api/prune.ts";
import { restore } from "../../src/api/restore.ts";
import { listDeleted } from "../../src/api/undelete.ts";
import { openSnapshot } from "../../src/core/read-snapshot.ts";
import { openHome } from "../../src/home/open-home.ts";
import { cli, cliError, enc, git, ROOT, tempHome } from "../helpers/temp-home.ts";

// Issue 14 item 3: prune moves restore points to refs/confvault/trash/ for retention.trashDays;
// `log --deleted` / `undelete TAG` bring one back; expiry drops it and gc its tag object.
test("prune → trash → undelete → the point restores; expiry drops it and gc removes its tag object", async () => {
  const h = await tempHome();
  try {
    const base = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
    const made: { tag: string; config: Uint8Array }[] = [];
    for (let i = 0; i < 5; i++) {
      const config = enc(
        base.replace("</access>", `<allow id="${700 + i}"><comment>p${i}</comment></allow></access>`),
      );
      const r = await applyConfig({ ctx: h.ctx, config, reason: `p${i}`, actor: "t" });
      made.push({ tag: r.tag, config });
    }
    const gitdir = h.ctx.layout.gitdir;
    const pruned = await prune({ ctx: h.ctx, policy: { keepLast: 2 }, actor: "t" });
    assert.is(pruned.removed.length, 3);
    assert.is((await h.ctx.engine.listTags("rp/")).length, 2);
    const trashRefs = (
      await git(gitdir, "for-each-ref", "--format=%(refname) %(objectname)", "refs/confvault/trash/")
    )
      .trim()
      .split("\n");
    assert.is(trashRefs.length, 3);
    // Kept out of the tag namespace (and so out of log, the API and pushes) …
    assert.not.match(await git(gitdir, "tag", "-l"), new RegExp(made[0]!.tag.replace(/[.]/g, "\\.")));
    // … and their tag objects survive a gc.
    await maintenance({ ctx: h.ctx });
    for (const line of trashRefs) await git(gitdir, "cat-file", "-t", line.split(" ")[1]!);

    const deleted = await cli(["--home", h.dir, "--json", "log", "--deleted"], h.env);
    assert.is(deleted.code, 0, deleted.stderr);
    const listed = JSON.parse(deleted.stdout).deleted as Array<{ tag: string; expiresAt: string }>;
    assert.equal(
      listed.map((d) => d.tag).sort(),
      made
        .slice(0, 3)
        .map((m) => m.tag)
        .sort(),
    );

    const back = await cli(["--home", h.dir, "--json", "undelete", made[1]!.tag], h.env);
    assert.is(back.code, 0, back.stderr);
    const ctx = await openHome({ dir: h.dir, env: h.env });
    assert.ok((await ctx.engine.listTags("rp/")).some((t) => t.name === made[1]!.tag));
    await restore({ ctx, ref: made[1]!.tag, reason: "bring p1 back", actor: "t" });
    const live = new Uint8Array(await fsp.readFile(ctx.live("config")!));
    assert.ok(Buffer.compare(live, made[1]!.config) === 0, "the undeleted point restores byte for byte");
    assert.ok((await openSnapshot(ctx, made[1]!.tag)).config.length > 0);

    const again = await cli(["--home", h.dir, "--json", "undelete", made[1]!.tag], h.env);
    assert.is(cliError(again).code, "NOT_FOUND");

    // Eight days later the trash expires (default 7 days) and gc drops the tag objects.
    const later = await openHome({
      dir: h.dir,
      env: h.env,
      now: () => new Date(Date.now() + 8 * 86_400_000),
    });
    const expired = await prune({ ctx: later, policy: { keepLast: 100 }, actor: "t" });
    assert.equal(expired.expired?.sort(), [made[0]!.tag, made[2]!.tag].sort());
    assert.is((await listDeleted({ ctx: later })).length, 0);
    await maintenance({ ctx: later });
    const line0 = trashRefs.find((l) => l.split(" ")[0]!.endsWith(`/${made[0]!.tag}`));
    assert.ok(line0, trashRefs.join("\n"));
    const exists = await git(gitdir, "cat-file", "-t", line0!.split(" ")[1]!).then(
      () => true,
      () => false,
    );
    assert.is(exists, false, "the expired tag object is gone after gc");
    await git(gitdir, "fsck", "--strict", "--no-progress");
  } finally {
    await h.cleanup();
  }
});

test("retention.trashDays 0 deletes at once, as before", async () => {
  const h = await tempHome();
  try {
    const settings = JSON.parse(await fsp.readFile(h.ctx.layout.settings, "utf8"));
    settings.retention = { trashDays: 0 };
    await fsp.writeFile(h.ctx.layout.settings, JSON.stringify(settings));
    const ctx = await openHome({ dir: h.dir, env: h.env });
    const base = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
    for (let i = 0; i < 3; i++)
      await applyConfig({
        ctx,
        config: enc(base.replace("</access>", `<allow id="${800 + i}"/></access>`)),
        reason: `p${i}`,
        actor: "t",
      });
    await prune({ ctx, policy: { keepLast: 1 }, actor: "t" });
    assert.is((await listDeleted({ ctx })).length, 0);
    assert.is((await git(ctx.layout.gitdir, "for-each-ref", "refs/confvault/trash/")).trim(), "");
  } finally {
    await h.cleanup();
  }
});

test.run();

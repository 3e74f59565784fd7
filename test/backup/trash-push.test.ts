import { promises as fsp } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { prune } from "../../src/api/prune.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import type { HomeContext } from "../../src/home/context.ts";
import { openHome } from "../../src/home/open-home.ts";
import { startGitHttpServer } from "../helpers/git-http-server.ts";
import { type TempHome, tempHome } from "../helpers/temp-home.ts";
import { gitAsync, variant } from "./backup-fixtures.ts";

const TOKEN = "trash-token-0123456789";

async function refs(gitdir: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await gitAsync(gitdir, "for-each-ref", "--format=%(refname) %(objectname)", prefix))
    .trim()
    .split("\n")) {
    const [ref, oid] = line.split(" ");
    if (ref && oid) out.set(ref, oid);
  }
  return out;
}

/** Turns the setting on or off and reopens the home (settings are read when a home is opened). */
async function setPushTrash(h: TempHome, on: boolean): Promise<HomeContext> {
  const s = JSON.parse(await fsp.readFile(h.ctx.layout.settings, "utf8"));
  s.retention = { ...(s.retention ?? {}), pushTrash: on };
  await fsp.writeFile(h.ctx.layout.settings, `${JSON.stringify(s, null, 2)}\n`);
  return await openHome({ dir: h.dir, env: h.env });
}

// Issue 14 item 3: "a remote push can carry the trash (setting)". Off by default; on, the git
// remote gets refs/confvault/trash/* as they are here, and a clash there is refused, not forced.
test("retention.pushTrash: off by default; on, a real bare remote gets the trash refs; never forced", async () => {
  const server = await startGitHttpServer({ auth: { basicPasswordOnly: TOKEN } });
  const h = await tempHome();
  try {
    for (let i = 0; i < 4; i++) {
      await applyConfig({ ctx: h.ctx, config: variant(400 + i), reason: `v${i}`, actor: "t" });
    }
    const url = await server.createRepo("offsite.git");
    const bare = server.repoDir("offsite.git");
    await remoteAdd({ ctx: h.ctx, name: "offsite", url, tokenEnv: "OFFSITE_TOKEN" });
    const env = { OFFSITE_TOKEN: TOKEN };
    const pruned = await prune({ ctx: h.ctx, policy: { keepLast: 2 }, actor: "t" });
    assert.is(pruned.removed.length, 2);
    const local = await refs(h.ctx.layout.gitdir, "refs/confvault/trash/");
    assert.is(local.size, 2);

    // Default: the trash stays home.
    const [off] = await remotePush({ ctx: h.ctx, env });
    assert.ok(off?.ok, JSON.stringify(off));
    assert.is((await refs(bare, "refs/confvault/")).size, 0, "no trash on the remote by default");
    assert.is((await refs(bare, "refs/tags/rp/")).size, 2);

    // On: the same refs on the same objects; a second push is a no-op.
    let ctx = await setPushTrash(h, true);
    const [on] = await remotePush({ ctx, env });
    assert.ok(on?.ok, JSON.stringify(on));
    assert.equal(await refs(bare, "refs/confvault/trash/"), local);
    for (const oid of local.values()) assert.is((await gitAsync(bare, "cat-file", "-t", oid)).trim(), "tag");
    const [again] = await remotePush({ ctx, env });
    assert.ok(again?.ok, JSON.stringify(again));
    assert.equal(await refs(bare, "refs/confvault/trash/"), local);

    // Same care as tags: a trash ref the remote holds on another object is refused, not forced.
    const [firstRef, firstOid] = [...local.entries()][0]!;
    const [, otherOid] = [...local.entries()][1]!;
    await gitAsync(bare, "update-ref", firstRef, otherOid);
    try {
      await remotePush({ ctx, env });
      assert.unreachable("a clashing trash ref must be refused");
    } catch (err) {
      assert.ok(isConfvaultError(err, "REMOTE_DIVERGED"), String(err));
    }
    assert.is(
      (await refs(bare, "refs/confvault/trash/")).get(firstRef),
      otherOid,
      "the remote was not overwritten",
    );
    assert.is.not(otherOid, firstOid);

    // Off again: nothing of the trash is sent (the clash no longer matters to a push).
    ctx = await setPushTrash(h, false);
    const [offAgain] = await remotePush({ ctx, env });
    assert.ok(offAgain?.ok, JSON.stringify(offAgain));
  } finally {
    await server.close();
    await h.cleanup();
  }
});

test.run();
